"""Organisation settings RevOps owns: risk weights and thresholds, stage criteria, methodology, quotas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Request, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import RevOpsUser, SessionDep, require_roles
from api.flows import org_framework, quotas, rescore_pipeline, risk_config
from api.problems import ProblemError
from models.crud.reviews import put_setting
from models.enums import Role
from models.tables import User
from signals.config import RiskConfig
from signals.errors import SignalsError
from signals.periods import parse_period

router = APIRouter(prefix="/v1/settings", tags=["settings"])
Reader = Annotated[User, Depends(require_roles(Role.MANAGER, Role.LEADER, Role.REVOPS))]


class MethodologySetting(BaseModel):
    framework: Literal["MEDDICC", "BANT", "SPICED"]


class QuotaSetting(BaseModel):
    """Quotas by team ("*": the whole organisation; else a manager's email) and period ("2026-Q4")."""

    quotas: dict[str, dict[str, Annotated[float, Field(ge=0)]]]


def _settings(session: Session) -> dict[str, Any]:
    return {
        "risk": risk_config(session).to_dict(),
        "methodology": {"framework": org_framework(session) or "MEDDICC"},
        "quotas": quotas(session),
    }


def _rescore_all(request: Request) -> None:
    with Session(request.app.state.engine) as session:
        rescore_pipeline(session)


@router.get("")
def read_settings(session: SessionDep, user: Reader) -> dict[str, Any]:
    """Read the organisation's settings (defaults where RevOps set nothing)."""
    del user  # role checked by the dependency
    return _settings(session)


@router.put("/risk", responses={422: {"description": "unknown keys or bad values"}})
def set_risk(
    body: dict[str, Any], request: Request, background: BackgroundTasks, session: SessionDep, user: RevOpsUser
) -> dict[str, Any]:
    """Replace the risk settings (partial: the rest stay default); every deal is re-scored."""
    try:
        config = RiskConfig.from_dict(body)
    except (SignalsError, ValueError, TypeError) as exc:
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    put_setting(session, key="risk", value=config.to_dict(), by_user=user)
    background.add_task(_rescore_all, request)
    return _settings(session)


@router.put("/methodology")
def set_methodology(body: MethodologySetting, session: SessionDep, user: RevOpsUser) -> dict[str, Any]:
    """Choose the methodology calls are judged against from now on."""
    put_setting(session, key="methodology", value=body.model_dump(), by_user=user)
    return _settings(session)


@router.put("/quotas")
def set_quotas(body: QuotaSetting, session: SessionDep, user: RevOpsUser) -> dict[str, Any]:
    """Replace the quotas used for pipeline coverage."""
    for periods in body.quotas.values():
        for label in periods:
            try:
                parse_period(label)
            except (SignalsError, ValueError) as exc:
                raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, f"quotas: {exc}") from exc
    put_setting(session, key="quotas", value=body.quotas, by_user=user)
    return _settings(session)
