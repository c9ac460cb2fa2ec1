"""What a team's weekly review and methodology adherence read, and nothing more.

The review does not re-score the team's deals: it reads each deal's stored risk while that is
fresh (`deals.risk_fresh_until`, kept by event-driven and periodic re-scoring), the stage
changes of the week and the open next steps due in the window. Deals whose stored risk is
missing or stale are listed for the caller to score from their full state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models.crud import state_queries
from models.enums import CallStatus, NextStepStatus
from models.tables import Call, Deal, DealStageHistory, NextStep
from signals.methodology import CoveredElements
from signals.types import AnyRisk, DealState, StoredScore

__all__ = ["ForecastData", "ReviewData", "adherence_elements", "forecast_data", "review_data"]

_OPEN_STEPS = (NextStepStatus.SUGGESTED, NextStepStatus.ACCEPTED, NextStepStatus.EDITED)


@dataclass(frozen=True, slots=True)
class ReviewData:
    """The team's deals for a review, with the risk of each open one that is still fresh."""

    states: list[DealState]  # deal fields and only the evidence the caller reads
    risks: dict[str, AnyRisk]  # open deals whose stored risk holds at `now`, by deal id
    stale: list[int]  # open deals to score from their full state (never scored, or stale)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def review_data(
    session: Session,
    *,
    owner_ids: Collection[int],
    moves_from: dt.date,
    moves_until: dt.date,
    due_from: dt.date,
    due_until: dt.date,
    now: dt.datetime,
) -> ReviewData:
    """Read the owners' deals with the stage changes in [moves_from, moves_until) (UTC days),
    the open next steps due in [due_from, due_until), and each open deal's stored risk."""
    d, h, n = (state_queries.table(m).c for m in (Deal, DealStageHistory, NextStep))
    scope = sa.select(d.id).where(d.owner_id.in_(list(owner_ids)))
    risk = (d.risk_score, d.risk_level, d.risk_factors, d.risk_fresh_until)
    rows = state_queries.deal_rows(session, d.id.in_(scope), *risk)
    in_week = sa.and_(h.at >= _midnight(moves_from), h.at < _midnight(moves_until))
    due = sa.func.coalesce(n.edited_due, n.due)
    due_soon = sa.and_(n.status.in_(_OPEN_STEPS), due >= due_from, due < due_until)
    evidence: dict[str, dict[int, Any]] = {
        "stage_changes": state_queries.stage_changes(session, scope, in_week),
        "next_steps": state_queries.next_steps(session, scope, due_soon),
    }
    states = [state_queries.state_from_row(r, evidence, {}) for r in rows]
    risks, stale = _stored(rows, states, now)
    return ReviewData(states, risks, stale)


def _holds(row: Any, now: dt.datetime) -> bool:
    """Whether a deal row's stored score is exact at `now` (scored, and fresh until later)."""
    return row.risk_score is not None and row.risk_fresh_until is not None and row.risk_fresh_until > now


def _stored(
    rows: Sequence[Any], states: Sequence[DealState], now: dt.datetime
) -> tuple[dict[str, AnyRisk], list[int]]:
    """Split open deals into those whose stored risk holds at `now` (with it) and the stale ones."""
    risks: dict[str, AnyRisk] = {}
    stale: list[int] = []
    for r, state in zip(rows, states, strict=True):
        if state.stage.is_closed:
            continue
        if _holds(r, now):
            risks[state.id] = StoredScore.read(r.risk_score, r.risk_level, r.risk_factors or [])
        else:
            stale.append(r.id)
    return risks, stale


@dataclass(frozen=True, slots=True)
class ForecastData:
    """The deals of a forecast, with the score of each open one whose stored risk still holds."""

    states: list[DealState]  # deal fields and close-date changes
    scores: dict[str, int]  # open deals whose stored score holds at `now`, by deal id
    stale: list[int]  # open deals to score from their full state (never scored, or stale)


def forecast_data(session: Session, *, owner_ids: Collection[int] | None, now: dt.datetime) -> ForecastData:
    """Read the owners' deals (all when None) with their close-date changes, for a forecast,
    and each open deal's stored score where it holds at `now` (the factors are not read)."""
    d = state_queries.table(Deal).c
    scope = state_queries.deal_scope(owner_ids)
    rows = state_queries.deal_rows(session, d.id.in_(scope), d.risk_score, d.risk_fresh_until)
    states = state_queries.build_states(session, rows, scope, full=False)
    scores: dict[str, int] = {}
    stale: list[int] = []
    for r, state in zip(rows, states, strict=True):
        if not state.stage.is_closed:
            if _holds(r, now):
                scores[state.id] = r.risk_score
            else:
                stale.append(r.id)
    return ForecastData(states, scores, stale)


def adherence_elements(
    session: Session, *, owner_ids: Collection[int], processed_only: bool
) -> list[tuple[str, CoveredElements | None]]:
    """Return (owner email, covered methodology elements) for each of the owners' deals, by deal id.

    `processed_only`: only deals with at least one processed call.
    """
    d, c = state_queries.table(Deal).c, state_queries.table(Call).c
    scope = sa.select(d.id).where(d.owner_id.in_(list(owner_ids)))
    if processed_only:
        scope = scope.where(d.id.in_(sa.select(c.deal_id).where(c.status == CallStatus.DONE)))
    found = state_queries.methodology_elements(session, scope)
    rows = state_queries.deal_rows(session, d.id.in_(scope))
    return [(r.email, found.get(r.id)) for r in rows]
