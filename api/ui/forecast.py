"""The leader's forecast: weighted pipeline by category per team, coverage and slipped deals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from api.deps import SessionDep
from api.flows import risk_config
from api.inspection import scored_forecast
from api.ui.access import owner_scope, require_role
from api.ui.auth import PageUserDep
from api.ui.cache import PerDealCache, deal_cache, ui_cache
from api.ui.render import PageError, render
from models.crud import pages as page_queries
from models.crud.review_data import ForecastData, forecast_entries, split_scores
from models.enums import Role
from models.tables import User
from signals.config import RiskConfig
from signals.errors import PeriodError
from signals.forecast import pipeline_coverage, slipped_deals, weighted_pipeline
from signals.periods import Period, month_of, parse_period, quarter_of
from signals.types import DealState

router = APIRouter(include_in_schema=False)
NO_TEAM = "No manager"


def _teams(session: Session) -> dict[str, str]:
    """Map each user's email to their team's name (their manager's, or their own for managers)."""
    users = session.exec(select(User).order_by(col(User.name))).all()
    by_id = {u.id: u for u in users}
    teams = {}
    for u in users:
        head = by_id.get(u.manager_id) if u.manager_id else (u if u.role is Role.MANAGER else None)
        teams[u.email] = head.name if head else NO_TEAM
    return teams


def _period(label: str | None, today: dt.date) -> Period:
    try:
        return parse_period(label) if label else quarter_of(today)
    except PeriodError as exc:
        raise PageError(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


def team_rows(
    states: Sequence[DealState],
    teams: dict[str, str],
    period: Period,
    scores: dict[str, int],
    config: RiskConfig,
) -> list[dict[str, Any]]:
    """Weighted pipeline and coverage per team and currency for the period."""
    grouped: dict[tuple[str, str], list[DealState]] = {}
    for state in states:
        team = teams.get(state.owner or "", NO_TEAM)
        grouped.setdefault((team, state.currency), []).append(state)
    rows = []
    for (team, currency), deals in sorted(grouped.items()):
        summary = weighted_pipeline(deals, config=config, scores=scores, period=period, currency=currency)
        cover = pipeline_coverage(
            deals, period=period, quota=None, config=config, scores=scores, currency=currency
        )
        if summary.deals:
            rows.append({"team": team, "currency": currency, "summary": summary, "coverage": cover})
    return rows


def forecast_summary(
    session: Session,
    scope: list[int] | None,
    period: Period,
    now: dt.datetime,
    deals: PerDealCache | None = None,
) -> dict[str, Any]:
    """Compute the period's pipeline per team and its slipped deals (cached by the caller).

    The same deals, scores and configuration as the forecast API (`api.inspection`); through
    `deals` when given, only the deals changed since are read again.
    """
    config = risk_config(session)
    states, scores = scored_forecast(
        session, _forecast_data(session, scope, now, deals or PerDealCache()), now, config
    )
    rows = team_rows(states, _teams(session), period, scores, config)
    return {
        "rows": rows,
        "peak": max((r["summary"].amount for r in rows), default=0.0) or 1.0,
        "slipped": slipped_deals(states, period=period),
        "names": {s.id: (s.name, s.owner) for s in states},
    }


def _forecast_data(
    session: Session, scope: list[int] | None, now: dt.datetime, deals: PerDealCache
) -> ForecastData:
    entries = deals.read_through(
        session, "forecast", owner_ids=scope, load=lambda scope: forecast_entries(session, scope=scope)
    )
    return split_scores(entries, now)


@router.get("/forecast", response_class=HTMLResponse)
def forecast_page(
    request: Request, session: SessionDep, me: PageUserDep, period: str | None = None
) -> HTMLResponse:
    """Show the forecast for a period: weighted pipeline per team, coverage and slipped deals."""
    require_role(me.user, Role.LEADER, Role.REVOPS, Role.MANAGER)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    chosen = _period(period, today)
    scope = owner_scope(session, me.user)
    key = ("forecast", tuple(scope) if scope is not None else None, chosen.label, today)
    summary = ui_cache(request).get_or_compute(
        key,
        page_queries.data_version(session),
        lambda: forecast_summary(session, scope, chosen, now, deal_cache(request)),
    )
    this_q = quarter_of(today)
    context = {
        "period": chosen,
        "choices": [this_q.label, this_q.next().label, month_of(today).label, month_of(today).next().label],
        **summary,
    }
    return render(request, "forecast.html", context)
