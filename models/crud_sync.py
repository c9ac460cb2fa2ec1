"""Data functions for the CRM sync surface: idempotent request records."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.tables import IdempotencyRecord


def get_idempotency_record(session: Session, *, key: str, api_key_id: int) -> IdempotencyRecord | None:
    """Get the stored response for an Idempotency-Key of one API key."""
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.key == key, IdempotencyRecord.api_key_id == api_key_id
    )
    return session.exec(statement).first()


def save_idempotency_record(
    session: Session,
    *,
    key: str,
    api_key_id: int,
    user_id: int | None,
    method: str,
    path: str,
    request_hash: str,
    status_code: int,
    response_body: Any,
) -> IdempotencyRecord:
    """Store the first response for a key; a concurrent twin's record wins if it got there first."""
    record = IdempotencyRecord(
        key=key,
        api_key_id=api_key_id,
        user_id=user_id,
        method=method,
        path=path,
        request_hash=request_hash,
        status_code=status_code,
        response_body=response_body,
    )
    session.add(record)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = get_idempotency_record(session, key=key, api_key_id=api_key_id)
        if existing is None:
            raise
        return existing
    session.refresh(record)
    return record
