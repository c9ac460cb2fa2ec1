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
from models.tables import Call, Deal, DealStageHistory, NextStep, User
from signals.methodology import CoveredElements
from signals.types import AnyRisk, DealState, StoredScore

__all__ = [
    "ForecastData",
    "ReviewData",
    "ReviewEntry",
    "ReviewWindow",
    "forecast_entries",
    "review_entries",
    "split_scores",
    "split_fresh",
    "adherence_elements",
    "forecast_data",
    "review_data",
]

_OPEN_STEPS = (NextStepStatus.SUGGESTED, NextStepStatus.ACCEPTED, NextStepStatus.EDITED)


@dataclass(frozen=True, slots=True)
class ReviewData:
    """The team's deals for a review, with the risk of each open one that is still fresh."""

    states: list[DealState]  # deal fields and only the evidence the caller reads
    risks: dict[str, AnyRisk]  # open deals whose stored risk holds at `now`, by deal id
    stale: list[int]  # open deals to score from their full state (never scored, or stale)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """One deal as a review reads it: its light state and its stored risk, fresh or not."""

    state: DealState  # deal fields, the window's stage changes and due next steps
    risk: StoredScore | None  # None: never scored


@dataclass(frozen=True, slots=True)
class ReviewWindow:
    """Stage changes in [moves_from, moves_until) (UTC days) and open next steps due in
    [due_from, due_until): all of a deal's evidence that a weekly review lists."""

    moves_from: dt.date
    moves_until: dt.date
    due_from: dt.date
    due_until: dt.date


def review_entries(session: Session, *, scope: Any, window: ReviewWindow) -> dict[int, ReviewEntry]:
    """Read the deals in `scope` (ids, or a select of them) for a review, by deal id."""
    d, h, n = (state_queries.table(m).c for m in (Deal, DealStageHistory, NextStep))
    risk = (d.risk_score, d.risk_level, d.risk_factors)
    rows = state_queries.deal_rows(session, d.id.in_(scope), *risk)
    in_week = sa.and_(h.at >= _midnight(window.moves_from), h.at < _midnight(window.moves_until))
    # Open is checked here, not in SQL: with the status in the WHERE clause SQLite walks the
    # status index over the open next steps of every team (61 ms for 5,000 deals among 100,000)
    # instead of looking up the team's deals' steps (9 ms). The due window is spelled out rather
    # than a range over coalesce(edited_due, due): PostgreSQL estimated that at a few hundred rows
    # and probed the team's deals once per next step of the window (87 ms instead of 21).
    in_window = sa.or_(
        sa.and_(n.edited_due.is_not(None), n.edited_due >= window.due_from, n.edited_due < window.due_until),
        sa.and_(n.edited_due.is_(None), n.due >= window.due_from, n.due < window.due_until),
    )
    due_soon = state_queries.next_steps(session, scope, in_window)
    evidence: dict[str, dict[int, Any]] = {
        "stage_changes": state_queries.stage_changes(session, scope, in_week),
        "next_steps": {
            deal_id: open_steps
            for deal_id, steps in due_soon.items()
            if (open_steps := [step for step in steps if step.status in _OPEN_STEPS])
        },
    }
    return {
        r.id: ReviewEntry(
            state_queries.state_from_row(r, evidence, {}),
            StoredScore.read(r.risk_score, r.risk_level, r.risk_factors or [])
            if r.risk_score is not None
            else None,
        )
        for r in rows
    }


def _fresh_until(session: Session, scope: Any) -> dict[int, dt.datetime | None]:
    d = state_queries.table(Deal).c
    rows = state_queries.plain_rows(session, sa.select(d.id, d.risk_fresh_until).where(d.id.in_(scope)))
    return {int(deal_id): fresh for deal_id, fresh in rows}


def split_fresh(
    entries: Sequence[tuple[int, ReviewEntry, dt.datetime | None]], now: dt.datetime
) -> ReviewData:
    """Split (id, entry, current `risk_fresh_until`) into the review's states, the open deals'
    stored risks that hold at `now`, and the open deals to score afresh."""
    risks: dict[str, AnyRisk] = {}
    stale: list[int] = []
    for deal_id, entry, fresh_until in entries:
        if entry.state.stage.is_closed:
            continue
        if entry.risk is not None and fresh_until is not None and fresh_until > now:
            risks[entry.state.id] = entry.risk
        else:
            stale.append(deal_id)
    return ReviewData([e.state for _, e, _ in entries], risks, stale)


def review_data(
    session: Session, *, owner_ids: Collection[int], window: ReviewWindow, now: dt.datetime
) -> ReviewData:
    """Read the owners' deals for a review, with each open deal's stored risk that holds at `now`."""
    d = state_queries.table(Deal).c
    scope = sa.select(d.id).where(d.owner_id.in_(list(owner_ids)))
    fresh = _fresh_until(session, scope)
    entries = review_entries(session, scope=scope, window=window)
    return split_fresh([(i, e, fresh.get(i)) for i, e in entries.items()], now)


@dataclass(frozen=True, slots=True)
class ForecastData:
    """The deals of a forecast, with the score of each open one whose stored risk still holds."""

    states: list[DealState]  # deal fields and close-date changes
    scores: dict[str, int]  # open deals whose stored score holds at `now`, by deal id
    stale: list[int]  # open deals to score from their full state (never scored, or stale)


def forecast_entries(session: Session, *, scope: Any) -> dict[int, tuple[DealState, int | None]]:
    """Read the deals in `scope` (ids, or a select of them) for a forecast: each deal's fields
    and close-date changes, and its stored score (None: never scored), by deal id."""
    d = state_queries.table(Deal).c
    rows = state_queries.deal_rows(session, d.id.in_(scope), d.risk_score)
    states = state_queries.build_states(session, rows, scope, full=False)
    return {r.id: (state, r.risk_score) for r, state in zip(rows, states, strict=True)}


def split_scores(
    entries: Sequence[tuple[int, tuple[DealState, int | None], dt.datetime | None]], now: dt.datetime
) -> ForecastData:
    """Split (id, forecast entry, current `risk_fresh_until`) into the states, the open deals'
    stored scores that hold at `now`, and the open deals to score afresh."""
    scores: dict[str, int] = {}
    stale: list[int] = []
    for deal_id, (state, score), fresh_until in entries:
        if state.stage.is_closed:
            continue
        if score is not None and fresh_until is not None and fresh_until > now:
            scores[state.id] = score
        else:
            stale.append(deal_id)
    return ForecastData([state for _, (state, _), _ in entries], scores, stale)


def forecast_data(session: Session, *, owner_ids: Collection[int] | None, now: dt.datetime) -> ForecastData:
    """Read the owners' deals (all when None) with their close-date changes, for a forecast,
    and each open deal's stored score where it holds at `now` (the factors are not read)."""
    scope = state_queries.deal_scope(owner_ids)
    fresh = _fresh_until(session, scope)
    entries = forecast_entries(session, scope=scope)
    return split_scores([(i, e, fresh.get(i)) for i, e in entries.items()], now)


def adherence_elements(
    session: Session, *, owner_ids: Collection[int], processed_only: bool
) -> list[tuple[str, CoveredElements | None]]:
    """Return (owner email, covered methodology elements) for each of the owners' deals, by deal id.

    `processed_only`: only deals with at least one processed call.
    """
    d, c = state_queries.table(Deal).c, state_queries.table(Call).c
    scope = sa.select(d.id).where(d.owner_id.in_(list(owner_ids)))
    if processed_only:
        # Correlated, so each deal is one index lookup (an IN over every call scanned them all).
        scope = scope.where(sa.exists().where(c.deal_id == d.id, c.status == CallStatus.DONE))
    found = state_queries.methodology_elements(session, scope)
    u = state_queries.table(User).c
    owners = sa.select(d.id, u.email).join(state_queries.table(User), u.id == d.owner_id)
    rows = state_queries.plain_rows(session, owners.where(d.id.in_(scope)).order_by(d.id))
    return [(email, found.get(deal_id)) for deal_id, email in rows]
