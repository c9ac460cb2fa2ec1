"""Deal states for many deals at once, a chunk of ids at a time (re-scoring, bulk upserts).

The queries live in `models.crud.state_queries` (one query per table for a set of deals); this
module pairs them with what callers write risk back to: ORM deals, or each deal's stored risk
(`StoredRisk`) for re-scoring a whole pipeline from plain rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.crud import state_queries
from models.crud.state_queries import build_states, deal_rows, plain_rows, table
from models.tables import Deal
from signals.types import DealState


class StoredRisk(NamedTuple):
    """A deal's risk as stored, to compare a new score with (and to name the deal in events)."""

    id: int
    external_id: str
    score: int | None
    level: str | None
    factors: list[dict[str, Any]] | None
    fresh_until: dt.datetime | None


CHUNK = 500  # deals per round of queries: well under every database's bound-parameter limit


def _states_for(session: Session, deals: Sequence[Deal]) -> list[DealState]:
    ids = [deal.id for deal in deals if deal.id is not None]
    by_id = {state.id: state for state in state_queries.deal_states(session, owner_ids=None, deal_ids=ids)}
    return [by_id[str(deal.id)] for deal in deals]


def deal_states(session: Session, *, deals: Sequence[Deal]) -> list[DealState]:
    """Build the signals view of each deal, in the order given."""
    states: list[DealState] = []
    for start in range(0, len(deals), CHUNK):
        states.extend(_states_for(session, deals[start : start + CHUNK]))
    return states


def iter_deal_states(session: Session, *, batch: int = CHUNK) -> Iterator[tuple[Deal, DealState]]:
    """Yield every deal with its state, a chunk at a time."""
    last_id = 0
    while True:
        deals = session.exec(
            select(Deal).where(col(Deal.id) > last_id).order_by(col(Deal.id)).limit(batch)
        ).all()
        if not deals:
            return
        yield from zip(deals, _states_for(session, deals), strict=True)
        last_id = deals[-1].id or last_id


def _due(due_at: dt.datetime | None) -> Any:
    d = table(Deal).c
    if due_at is None:
        return sa.true()
    return sa.or_(d.risk_fresh_until.is_(None), d.risk_fresh_until <= due_at)


def rescore_ids(session: Session, *, due_at: dt.datetime | None = None) -> list[int]:
    """Return every deal id in order (with `due_at`: those whose stored risk is unknown or stale then)."""
    d = table(Deal).c
    return [r.id for r in plain_rows(session, sa.select(d.id).where(_due(due_at)).order_by(d.id))]


def stored_risks_with_states(
    session: Session,
    *,
    after_id: int,
    until_id: int | None = None,
    limit: int | None = None,
    due_at: dt.datetime | None = None,
) -> list[tuple[StoredRisk, DealState]]:
    """Return the deals by id in (after_id, until_id] (at most `limit`), each with its stored risk and state.

    With `due_at`, only deals whose stored risk is missing or no longer fresh at that moment.
    """
    d = table(Deal).c
    where = sa.and_(d.id > after_id, _due(due_at))
    if until_id is not None:
        where = sa.and_(where, d.id <= until_id)
    risk = (d.external_id, d.risk_score, d.risk_level, d.risk_factors, d.risk_fresh_until)
    rows = deal_rows(session, where, *risk, limit=limit)
    if not rows:
        return []
    ids = [r.id for r in rows]
    # The deals from the first id to the last: one range scan on each deal_id index; else the ids.
    scope = state_queries.IdRange(ids[0], ids[-1]) if due_at is None else ids
    states = build_states(session, rows, scope, full=True)
    stored = [
        StoredRisk(r.id, r.external_id, r.risk_score, r.risk_level, r.risk_factors, r.risk_fresh_until)
        for r in rows
    ]
    return list(zip(stored, states, strict=True))
