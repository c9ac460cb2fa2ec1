"""`Idempotency-Key`: a retried write replays the first response instead of running again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.problems import ProblemError
from models import crud
from models.tables import User

Outcome = tuple[int, Any, dict[str, str]]


def _request_hash(method: str, path: str, body: BaseModel) -> str:
    canonical = json.dumps([method, path, body.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay_or_run(
    session: Session,
    *,
    user: User,
    api_key_id: int | None,
    key: str | None,
    method: str,
    path: str,
    body: BaseModel,
    run: Callable[[], Outcome],
) -> JSONResponse:
    """Run a write once per key: later requests with the key get the first response back."""
    if not key or api_key_id is None:
        code, payload, headers = run()
        return JSONResponse(payload, status_code=code, headers=headers)
    digest = _request_hash(method, path, body)
    stored = crud.get_idempotency_record(session, key=key, api_key_id=api_key_id)
    replayed = stored is not None
    if stored is None:
        code, payload, headers = run()
        stored = crud.save_idempotency_record(
            session,
            key=key,
            api_key_id=api_key_id,
            user_id=user.id,
            method=method,
            path=path,
            request_hash=digest,
            status_code=code,
            response_body={"body": payload, "headers": headers},
        )
    if stored.request_hash != digest:
        raise ProblemError(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "Idempotency-Key was already used for a different request",
            title="Idempotency key reused",
        )
    saved = stored.response_body or {}
    headers = dict(saved.get("headers", {}))
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(saved.get("body"), status_code=stored.status_code, headers=headers)
