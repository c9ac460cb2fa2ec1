"""Accepting a call: validate what was sent, store it, queue it. Nothing is stored for bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import FastAPI, status
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import flows, uploads
from api.config import Settings
from api.deps import ensure_deal_access
from api.problems import ProblemError
from models import crud
from models.enums import CallKind, CallSource
from models.schemas import CallCreate
from models.tables import User
from transcribe.audio import probe_audio
from transcribe.errors import AudioError, AudioTooLongError, TranscriptFormatError
from transcribe.importers import parse_transcript
from transcribe.json_format import parse_call_date, transcript_from_json, transcript_to_json
from transcribe.types import Transcript

_FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class CallIntake:
    settings: Settings
    engine: Engine
    user_id: int | None

    @classmethod
    def from_app(cls, app: FastAPI, *, user_id: int | None) -> CallIntake:
        """Bind the intake to the app's settings and database."""
        return cls(settings=app.state.settings, engine=app.state.engine, user_id=user_id)

    def check_declared_size(self, declared: int, *, json_body: bool) -> None:
        """Refuse a request whose declared length is over the limit before reading it."""
        limit = self.settings.max_json_bytes if json_body else self.settings.max_upload_bytes + _FORM_OVERHEAD
        if declared > limit:
            raise ProblemError(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"the request is larger than the limit of {limit // (1024 * 1024)} MiB",
                title="Upload too large",
            )


def _form_date(fields: dict[str, str]) -> dt.date | None:
    value = fields.get("date")
    if not value:
        return None
    return parse_call_date(value, "date")[0]


def _form_options(fields: dict[str, str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if fields.get("rep_channel"):
        if fields["rep_channel"] not in ("left", "right"):
            raise TranscriptFormatError("rep_channel", "must be left or right")
        options["rep_channel"] = fields["rep_channel"]
    if fields.get("speakers"):
        if not fields["speakers"].isdigit() or not 1 <= int(fields["speakers"]) <= 10:
            raise TranscriptFormatError("speakers", "must be a whole number from 1 to 10")
        options["speakers"] = int(fields["speakers"])
    if fields.get("participants"):
        try:
            people = json.loads(fields["participants"])
        except json.JSONDecodeError as exc:
            raise TranscriptFormatError("participants", f"is not JSON: {exc.msg}") from exc
        shell = {"date": "2000-01-01", "participants": people, "utterances": []}
        transcript_from_json(shell)  # validates names and sides with positions
        options["participants"] = people
    return options


def accept_file(
    intake: CallIntake, source: BinaryIO, filename: str, fields: dict[str, str]
) -> dict[str, Any]:
    """Store an uploaded file (audio or transcript) and queue it; return {id, status}."""
    date = _form_date(fields)
    options = _form_options(fields)
    folder = intake.settings.audio_dir
    spooled = uploads.spool(source, folder=folder, limit=intake.settings.max_upload_bytes)
    try:
        if spooled.size == 0:
            raise TranscriptFormatError("file", f"{filename} is empty")
        with spooled.path.open("rb") as handle:
            head = handle.read(4096)
        if flows.is_transcript(head, filename):
            transcript = parse_transcript(spooled.path.read_bytes(), filename=filename, date=date)
            uploads.discard(spooled)
            return _queue_transcript(intake, transcript, fields.get("deal_external_id"), spooled.digest)
        try:
            info = probe_audio(spooled.path)
        except AudioError as exc:
            # Name the file as the caller knows it, not by its temporary spool name.
            raise type(exc)(str(exc).replace(spooled.path.name, filename)) from exc
        if info.duration_s > intake.settings.transcribe.max_duration_s:
            limit_h = intake.settings.transcribe.max_duration_s / 3600
            raise AudioTooLongError(
                f"{filename} lasts {info.duration_s / 3600:.1f} h; the limit is {limit_h:g} h"
            )
    except BaseException:
        uploads.discard(spooled)
        raise
    path = uploads.keep(spooled, folder=folder, suffix=Path(filename).suffix or ".audio")
    create = CallCreate(
        kind=CallKind.AUDIO,
        source=CallSource.UPLOAD,
        date=date,
        title=filename,
        audio_digest=spooled.digest,
        audio_path=str(path),
        options=options,
    )
    return _queue(intake, create, fields.get("deal_external_id"))


def accept_json(intake: CallIntake, body: bytes) -> dict[str, Any]:
    """Validate a JSON transcript body and queue it; return {id, status}."""
    if len(body) > intake.settings.max_json_bytes:
        raise ProblemError(status.HTTP_413_CONTENT_TOO_LARGE, "the JSON body is larger than the limit")
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TranscriptFormatError("body", f"is not valid JSON: {exc}") from exc
    deal_external_id = document.pop("deal_external_id", None) if isinstance(document, dict) else None
    transcript = transcript_from_json(document)
    return _queue_transcript(intake, transcript, deal_external_id, hashlib.sha256(body).hexdigest())


def _queue_transcript(
    intake: CallIntake, transcript: Transcript, deal_external_id: str | None, digest: str
) -> dict[str, Any]:
    create = CallCreate(
        kind=CallKind.TRANSCRIPT,
        source=CallSource.API,
        external_id=transcript.id,
        date=transcript.date,
        title=transcript.title,
        transcript_digest=digest,
        transcript=transcript_to_json(transcript),
    )
    return _queue(intake, create, deal_external_id)


def _queue(intake: CallIntake, create: CallCreate, deal_external_id: str | None) -> dict[str, Any]:
    with Session(intake.engine) as session:
        user = session.get(User, intake.user_id)
        assert user is not None  # authenticated by the route
        if deal_external_id:
            deal = crud.get_deal_by_external_id(session, external_id=deal_external_id)
            if deal is None:
                raise ProblemError(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"deal_external_id: no deal {deal_external_id!r}",
                    errors=[{"loc": ["body", "deal_external_id"], "msg": "unknown deal"}],
                )
            create.deal_id = ensure_deal_access(session, user, deal, write=True).id
        digest = create.audio_digest or create.transcript_digest
        existing = crud.get_call_by_digest(session, digest=digest) if digest else None
        if existing is not None and existing.deal_id == create.deal_id:
            return {"id": existing.id, "status": existing.status.value, "duplicate": True}
        call = crud.create_call(session, call_in=create, created_by=user)
        return {"id": call.id, "status": call.status.value}
