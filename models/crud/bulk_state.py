"""Deal states for many deals at once, a chunk of ids at a time (re-scoring, reviews, bulk upserts).

The queries live in `models.crud.state_queries` (one query per table for a set of deals); this
module pairs them with the rows callers write risk back to.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlmodel import Session, col, select

from models.crud import state_queries
from models.tables import Deal
from signals.types import DealState

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
