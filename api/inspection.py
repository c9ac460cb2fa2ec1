"""What managers and leaders inspect: weekly review, methodology adherence, forecast, health.

Each function gathers the deals' states from the database and hands them to the pure
functions of `signals`; the result is plain JSON-ready data for the API, CLI and pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlmodel import Session, col, select

from api.flows import quotas, risk_config
from api.jsonable import to_json
from extract.types import Framework
from models import crud
from models.crud.bulk_state import deal_states as deal_states_bulk
from models.crud.review_data import ForecastData, ReviewData, ReviewWindow, adherence_elements, forecast_data
from models.crud.review_data import review_data as crud_review_data
from models.crud.state_queries import deal_states as deal_states_by_id
from models.enums import Role
from models.tables import Deal, User
from signals.config import RiskConfig
from signals.forecast import pipeline_coverage, slipped_deals, weighted_pipeline
from signals.health import pipeline_health
from signals.methodology import element_coverage, rollup
from signals.periods import Period, parse_period
from signals.review import DUE_WINDOW_DAYS, WeeklyReview, weekly_review
from signals.risk import score_deal
from signals.types import DealState


def deal_states(session: Session, *, owner_ids: Collection[int] | None) -> list[DealState]:
    """Build the signals view of every deal owned by `owner_ids` (all deals when None)."""
    statement = select(Deal).order_by(col(Deal.id))
    if owner_ids is not None:
        statement = statement.where(col(Deal.owner_id).in_(list(owner_ids)))
    return deal_states_bulk(session, deals=session.exec(statement).all())


def deal_states_bulk_ids(session: Session, deal_ids: Collection[int]) -> list[DealState]:
    """Build the full states of the given deals (none when empty)."""
    return deal_states_by_id(session, owner_ids=None, deal_ids=deal_ids) if deal_ids else []


def team_of(session: Session, manager: User) -> list[User]:
    """Return the manager and everyone reporting to them, by name."""
    return sorted([manager, *crud.list_team(session, manager=manager)], key=lambda u: u.name)


def review_window(week: str) -> ReviewWindow:
    """The stage changes and next steps a weekly review of `week` lists."""
    period = parse_period(week)
    due_until = period.start + dt.timedelta(days=DUE_WINDOW_DAYS)
    return ReviewWindow(period.start, period.end, period.start, due_until)


def team_review_and_states(
    session: Session,
    *,
    members: Collection[User],
    week: str,
    now: dt.datetime,
    config: RiskConfig,
    quotas: Mapping[str, float] | None = None,
) -> tuple[WeeklyReview, list[DealState]]:
    """Review the members' deals for the week from their stored risk, scoring only stale deals.

    Equal to `weekly_review` over every deal's full state (tests check it): stored scores are
    exact while fresh (`signals.freshness`), and the window's moves and next steps are all the
    review lists. Also returns the deals' light states (fields, the window's moves and steps).
    """
    owners = [m.id for m in members if m.id is not None]
    data = crud_review_data(session, owner_ids=owners, window=review_window(week), now=now)
    review = review_from_data(
        session, data, members=members, week=week, now=now, config=config, quotas=quotas
    )
    return review, data.states


def review_from_data(
    session: Session,
    data: ReviewData,
    *,
    members: Collection[User],
    week: str,
    now: dt.datetime,
    config: RiskConfig,
    quotas: Mapping[str, float] | None = None,
) -> WeeklyReview:
    """Score the stale deals of `data` from their full state and build the members' review."""
    risks = dict(data.risks)
    for state in deal_states_bulk_ids(session, data.stale):
        risks[state.id] = score_deal(state, now=now, config=config)
    return weekly_review(
        data.states,
        team_owner_ids={m.email for m in members},
        week=week,
        now=now,
        config=config,
        quotas=quotas,
        risks=risks,
    )


def pipeline_review(session: Session, *, manager: User, week: str, now: dt.datetime) -> dict[str, Any]:
    """Build the weekly pipeline review of a manager's team."""
    review, _states = team_review_and_states(
        session,
        members=team_of(session, manager),
        week=week,
        now=now,
        config=risk_config(session),
        quotas=quotas(session).get(manager.email),
    )
    return {"team": manager.email, **to_json(review)}


def methodology_adherence(session: Session, *, members: list[User], framework: Framework) -> dict[str, Any]:
    """Roll up methodology coverage per rep and for the team."""
    by_rep: dict[str, list[Any]] = {m.email: [] for m in members if m.role is Role.REP}
    owners = [m.id for m in members if m.id is not None and m.role is Role.REP]
    for owner, covered in adherence_elements(session, owner_ids=owners, processed_only=False):
        if owner in by_rep:
            by_rep[owner].append(element_coverage(covered, framework))
    reps = rollup(by_rep)
    team = rollup({"team": [c for items in by_rep.values() for c in items]})
    return {"framework": framework.value, "reps": to_json(reps), "team": to_json(team[0]) if team else None}


def forecast_states(
    session: Session, *, owner_ids: Collection[int] | None, now: dt.datetime, config: RiskConfig
) -> tuple[list[DealState], dict[str, int]]:
    """The owners' deals (all when None) for a forecast, with every open deal's current score.

    Stored scores where they hold at `now`; only stale or unscored deals are scored, from their
    full state. The API and the forecast page both answer from this.
    """
    return scored_forecast(session, forecast_data(session, owner_ids=owner_ids, now=now), now, config)


def scored_forecast(
    session: Session, data: ForecastData, now: dt.datetime, config: RiskConfig
) -> tuple[list[DealState], dict[str, int]]:
    """The forecast's states with every open deal's score: stale deals scored from their full state."""
    scores = dict(data.scores)
    for state in deal_states_bulk_ids(session, data.stale):
        scores[state.id] = score_deal(state, now=now, config=config).score
    return data.states, scores


def forecast(
    session: Session, *, owner_ids: Collection[int] | None, period: str, now: dt.datetime, team: str = "*"
) -> dict[str, Any]:
    """Forecast a period: weighted pipeline by category, risk-adjusted, coverage, slipped deals."""
    config = risk_config(session)
    span: Period = parse_period(period)
    # Stored scores where they hold; only stale deals are scored, from their full state.
    states, scores = forecast_states(session, owner_ids=owner_ids, now=now, config=config)
    currencies = sorted({s.currency for s in states}) or ["USD"]
    quota = quotas(session).get(team, {}).get(span.label)
    return {
        "period": span.label,
        "pipeline": [
            to_json(weighted_pipeline(states, config=config, scores=scores, period=span, currency=c))
            for c in currencies
        ],
        "coverage": [
            to_json(
                pipeline_coverage(states, period=span, quota=quota, config=config, scores=scores, currency=c)
            )
            for c in currencies
        ],
        "slipped": to_json(slipped_deals(states, period=span)),
    }


def health(session: Session, *, owner_ids: Collection[int] | None, now: dt.datetime) -> dict[str, Any]:
    """Pipeline health metrics of the deals owned by `owner_ids`."""
    states = deal_states(session, owner_ids=owner_ids)
    return dict(to_json(pipeline_health(states, now=now, config=risk_config(session))))
