"""Inspection for managers and leaders: weekly review, methodology, forecast, pipeline health."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from sqlmodel import Session

from api import inspection
from api.deps import SessionDep, require_roles
from api.problems import ProblemError
from api.responses import DataResponse
from api.routes.deals import visible_owner_ids
from extract.types import Framework
from models import crud
from models.enums import Role
from models.tables import User
from signals.errors import SignalsError
from signals.periods import quarter_of

router = APIRouter(prefix="/v1", tags=["inspection"])
Inspector = Annotated[User, Depends(require_roles(Role.MANAGER, Role.LEADER, Role.REVOPS))]
WeekQuery = Annotated[str | None, Query(description="ISO week, e.g. 2026-W49 (default: this week)")]
TeamQuery = Annotated[str | None, Query(description="the manager's email (default: yours)")]


def _manager(session: Session, user: User, team: str | None) -> User:
    """Resolve whose team is inspected; managers may inspect only their own."""
    if team is None or team.lower() == user.email:
        if user.role is not Role.MANAGER:
            raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, "team: give the manager's email")
        return user
    if user.role is Role.MANAGER:
        raise ProblemError(status.HTTP_403_FORBIDDEN, "managers inspect their own team")
    manager = crud.get_user_by_email(session, email=team)
    if manager is None or manager.role is not Role.MANAGER:
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, f"team: no manager {team!r}")
    return manager


def _this_week(now: dt.datetime) -> str:
    year, week, _ = now.date().isocalendar()
    return f"{year}-W{week:02d}"


def _signals_call(fn: Any, *args: Any, **kwargs: Any) -> DataResponse:
    try:
        result: dict[str, Any] = fn(*args, **kwargs)
    except (SignalsError, ValueError) as exc:
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return DataResponse(result)


@router.get("/pipeline/review")
def pipeline_review(
    session: SessionDep, user: Inspector, team: TeamQuery = None, week: WeekQuery = None
) -> Any:
    """Weekly pipeline review of a team: at risk, movement, next steps, coverage, hygiene."""
    now = dt.datetime.now(dt.UTC)
    manager = _manager(session, user, team)
    return _signals_call(
        inspection.pipeline_review, session, manager=manager, week=week or _this_week(now), now=now
    )


@router.get("/inspection/methodology")
def methodology(
    session: SessionDep, user: Inspector, team: TeamQuery = None, framework: Framework = Framework.MEDDICC
) -> Any:
    """Methodology adherence per rep and for the team, as coverage percentages."""
    members = inspection.team_of(session, _manager(session, user, team))
    return DataResponse(inspection.methodology_adherence(session, members=members, framework=framework))


@router.get("/forecast")
def forecast(
    session: SessionDep,
    user: Inspector,
    team: TeamQuery = None,
    period: Annotated[str | None, Query(description="2026-Q4, 2026-11 (default: this quarter)")] = None,
) -> Any:
    """Forecast roll-up: weighted pipeline by category, risk-adjusted, coverage, slipped deals."""
    now = dt.datetime.now(dt.UTC)
    owners = visible_owner_ids(session, user) if team is None else None
    quota_key = user.email if user.role is Role.MANAGER else "*"
    if team is not None:
        manager = _manager(session, user, team)
        owners = {m.id for m in inspection.team_of(session, manager) if m.id is not None}
        quota_key = manager.email
    label = period or quarter_of(now.date()).label
    return _signals_call(
        inspection.forecast, session, owner_ids=owners, period=label, now=now, team=quota_key
    )


@router.get("/pipeline/health")
def pipeline_health(session: SessionDep, user: Inspector, team: TeamQuery = None) -> Any:
    """Pipeline health: dated next steps, update latency, push rate, velocity, stage accuracy, hygiene."""
    owners = visible_owner_ids(session, user)
    if team is not None:
        members = inspection.team_of(session, _manager(session, user, team))
        owners = {m.id for m in members if m.id is not None}
    return DataResponse(inspection.health(session, owner_ids=owners, now=dt.datetime.now(dt.UTC)))
