"""The change feed: events appended in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlmodel import Session, col, select

from models.tables import ChangeEvent

# Any constant works; it only has to be the same for every writer of change_events.
CHANGE_FEED_LOCK = 0x0DEA15
MAX_PAGE = 1000


def record_change(
    session: Session, *, entity: str, entity_id: int, type: str, data: dict[str, Any] | None = None
) -> ChangeEvent:
    """Append a change event to the caller's transaction (the caller commits)."""
    if session.get_bind().dialect.name == "postgresql":
        # Sequence values are handed out at INSERT, not at COMMIT: a reader could see id 8
        # committed while 7 is still in flight and then skip 7 for ever. Holding this lock
        # until commit makes id order equal commit order. (SQLite already has one writer.)
        session.exec(select(sa.func.pg_advisory_xact_lock(CHANGE_FEED_LOCK)))
    event = ChangeEvent(
        entity=str(entity), entity_id=entity_id, type=type, data=to_jsonable_python(data or {})
    )
    session.add(event)
    session.flush()
    return event


def list_changes(session: Session, *, since: int | None = None, limit: int = 100) -> list[ChangeEvent]:
    """List change events after cursor `since` (from the beginning when None), oldest first."""
    statement = select(ChangeEvent).order_by(col(ChangeEvent.id)).limit(max(1, min(limit, MAX_PAGE)))
    if since is not None:
        statement = statement.where(col(ChangeEvent.id) > since)
    return list(session.exec(statement).all())
