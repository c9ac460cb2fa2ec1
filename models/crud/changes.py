"""The change feed: events written in the same transaction as the change they describe.

`record_change` only queues an event on the session; it is inserted during that session's
commit, after every other row of the transaction has been flushed. On PostgreSQL the insert
happens under a transaction-scoped advisory lock, so ids are handed out in commit order and a
reader paging with `id > cursor` never skips a change that commits late. Because the lock is
taken last, after all row locks, it cannot deadlock with them. A rollback drops the queue;
`savepoint` drops just the events of a block that fails (a bulk upsert's bad record).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from models.sqltypes import utcnow
from models.tables import ChangeEvent

# Any constant works; it only has to be the same for every writer of change_events.
CHANGE_FEED_LOCK = 0x0DEA15
MAX_PAGE = 1000
_QUEUE = "models.change_events"


def record_change(
    session: Session, *, entity: str, entity_id: int, type: str, data: dict[str, Any] | None = None
) -> ChangeEvent:
    """Queue a change event to be written by the caller's commit (a rollback discards it)."""
    # Every field given: pydantic re-inspects a default_factory's signature on each use, which
    # dominated re-scoring a whole pipeline (thousands of events per commit).
    event = ChangeEvent(
        entity=str(entity), entity_id=entity_id, type=type, at=utcnow(), data=to_jsonable_python(data or {})
    )
    _queue(session).append(event)
    return event


def record_changes(
    session: Session, *, entity: str, type: str, changes: Iterable[tuple[int, dict[str, Any]]]
) -> int:
    """Queue many change events of one kind, (entity id, data) each, for the caller's commit.

    The same queue and commit-time insert as `record_change` (same order, same lock), but the
    events travel as plain rows inserted in one statement: re-scoring a pipeline queues
    thousands per commit, and ORM objects cost more than the scoring.
    """
    rows = [
        {
            "entity": str(entity),
            "entity_id": entity_id,
            "type": type,
            "at": utcnow(),
            "data": to_jsonable_python(data),
        }
        for entity_id, data in changes
    ]
    if rows:
        _queue(session).extend(rows)
    return len(rows)


def _queue(session: Session) -> list[ChangeEvent | dict[str, Any]]:
    if not sa.event.contains(session, "before_commit", _write_queued):
        sa.event.listen(session, "before_commit", _write_queued)
        sa.event.listen(session, "after_transaction_end", _drop_queued)
    if not session.in_transaction():
        session.begin()  # so that close() without commit ends a transaction and drops the queue
    queue: list[ChangeEvent | dict[str, Any]] = session.info.setdefault(_QUEUE, [])
    return queue


def _write_queued(session: Session) -> None:
    if session.in_nested_transaction():
        # before_commit also fires when a SAVEPOINT is released: the events wait for the real
        # commit, or the feed lock would be held while later records still take row locks.
        return
    events: list[ChangeEvent | dict[str, Any]] = session.info.pop(_QUEUE, [])
    if not events:
        return
    session.flush()  # every other row first: no row lock may be taken after the feed lock
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(sa.func.pg_advisory_xact_lock(CHANGE_FEED_LOCK)))
    table: sa.Table = ChangeEvent.__table__  # type: ignore[attr-defined]
    # In queued order: runs of ORM events and runs of plain rows alternate as they were recorded.
    for plain, run in groupby(events, key=lambda e: isinstance(e, dict)):
        items = list(run)
        if plain:
            session.connection().execute(sa.insert(table), [e for e in items if isinstance(e, dict)])
        else:
            session.add_all(items)
            session.flush()


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Run the block in a SAVEPOINT: if it raises, its rows and the change events it queued are undone."""
    queue = _queue(session)
    mark = len(queue)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del queue[mark:]  # events of the rolled-back block only; earlier ones still commit
        raise


def begin_for_savepoints(session: Session) -> None:
    """Make sure a database transaction is open, so that SAVEPOINTs nest inside it.

    pysqlite opens its transaction only before a write: a SAVEPOINT issued first would start
    one of its own, and its RELEASE would commit every earlier savepoint's rows on its own.
    IMMEDIATE takes SQLite's write lock now (waiting its turn), so a concurrent writer cannot
    commit between this transaction's first read and first write (SQLITE_BUSY_SNAPSHOT).
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver_connection: Any = connection.connection.dbapi_connection  # sqlite3.Connection
    if not driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _drop_queued(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed or rolled back
        session.info.pop(_QUEUE, None)


def list_changes(session: Session, *, since: int | None = None, limit: int = 100) -> list[ChangeEvent]:
    """List change events after cursor `since` (from the beginning when None), oldest first."""
    statement = select(ChangeEvent).order_by(col(ChangeEvent.id)).limit(max(1, min(limit, MAX_PAGE)))
    if since is not None:
        statement = statement.where(col(ChangeEvent.id) > since)
    return list(session.exec(statement).all())
