"""Idempotency-Key records: the first response to a request, replayed for repeats."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from models.tables import IdempotencyRecord


def get_idempotency_record(session: Session, *, key: str, api_key_id: int) -> IdempotencyRecord | None:
    """Get the stored response for an Idempotency-Key sent with this API key."""
    return session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.key == key, IdempotencyRecord.api_key_id == api_key_id
        )
    ).first()


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
    """Store the first response for an Idempotency-Key; if one raced in first, return that one."""
    record = IdempotencyRecord(
        key=key,
        api_key_id=api_key_id,
        user_id=user_id,
        method=method.upper(),
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
        assert existing is not None
        return existing
    session.refresh(record)
    return record


def purge_idempotency_records(session: Session, *, older_than: dt.datetime) -> int:
    """Delete idempotency records created before `older_than`; return how many."""
    result = session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < older_than))
    session.commit()
    return int(result.rowcount)
