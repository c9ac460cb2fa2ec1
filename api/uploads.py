"""Uploaded files: streamed to disk under a size limit, stored by content digest.

A file is written to a temporary name and renamed into place only when complete, so a
failed or oversized upload leaves nothing behind, and the same recording uploaded twice
lands on the same path.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastapi import status

from api.problems import ProblemError

_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredUpload:
    path: Path
    digest: str
    size: int


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the upload is larger than the limit of {limit // (1024 * 1024)} MiB",
        title="Upload too large",
    )


def spool(source: BinaryIO, *, folder: Path, limit: int) -> StoredUpload:
    """Copy an upload into `folder` under a temporary name, hashing it and enforcing `limit`."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as sink:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                digest.update(chunk)
                sink.write(chunk)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StoredUpload(path=Path(tmp), digest=digest.hexdigest(), size=size)


def keep(upload: StoredUpload, *, folder: Path, suffix: str) -> Path:
    """Move a spooled upload to its content-addressed home and return that path."""
    target = folder / upload.digest[:2] / f"{upload.digest}{suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        upload.path.unlink(missing_ok=True)
    else:
        os.replace(upload.path, target)
    return target


def discard(upload: StoredUpload) -> None:
    """Remove a spooled upload that will not be kept."""
    upload.path.unlink(missing_ok=True)
