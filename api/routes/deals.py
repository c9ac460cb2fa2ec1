"""Deals as DealSignal sees them: list, read, and stage moves gated by the evidence."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.deps import (
    CurrentUser,
    ReaderUser,
    RequestSession,
    RowId,
    SessionDep,
    can_read_owned,
    ensure_deal_access,
    read_caches,
)
from api.flows import rescore_deal, risk_config
from api.problems import ProblemError
from models import crud
from models.crud.deal_list import list_deal_summaries, team_member_ids
from models.crud.public import deal_view_json, read_deal_stamp
from models.enums import RiskLevel, Role
from models.errors import VersionConflictError
from models.schemas import DealPage, DealPublic
from models.tables import User
from signals.errors import SignalsError
from signals.periods import parse_period
from signals.stages import check_stage_move, parse_stage

router = APIRouter(prefix="/v1/deals", tags=["deals"])


def etag(version: int) -> str:
    """Return the ETag header value for a deal version."""
    return f'"{version}"'


def etag_matches(if_none_match: str, version: int) -> bool:
    """Tell whether an `If-None-Match` list names this version (weak comparison, as RFC 9110 says)."""
    tags = (t.strip().removeprefix("W/") for t in if_none_match.split(","))
    return any(t in ("*", etag(version)) for t in tags)


def expected_version(if_match: str | None) -> int | None:
    """Read the version an `If-Match` header expects (None: no precondition)."""
    if if_match is None or if_match.strip() == "*":
        return None
    try:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ProblemError(
            status.HTTP_412_PRECONDITION_FAILED, f"If-Match {if_match!r} is not a deal ETag"
        ) from None


def _encode_cursor(deal_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": deal_id}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ProblemError(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "cursor: not a cursor from this API"
        ) from None
    if not isinstance(after, int):
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, "cursor: not a cursor from this API")
    return after


def visible_owner_ids(session: Session, user: User) -> set[int] | None:
    """Owners whose deals `user` may see (None: everyone's)."""
    assert user.id is not None
    if user.role in (Role.LEADER, Role.REVOPS):
        return None
    if user.role is Role.MANAGER:
        # Direct reports, as a deal read allows (api.deps.can_read_owned) and the pages show.
        reports = session.exec(select(User.id).where(User.manager_id == user.id)).all()
        return {user.id, *(r for r in reports if r is not None)}
    return {user.id}


def _user_ids_for(session: Session, email: str, *, team: bool) -> set[int]:
    person = crud.get_user_by_email(session, email=email)
    if person is None or person.id is None:
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no user {email!r}")
    return set(team_member_ids(session, manager_id=person.id)) if team else {person.id}


@router.get("", response_model=DealPage)
def list_deals(
    session: SessionDep,
    user: CurrentUser,
    owner: Annotated[str | None, Query(description="owner's email")] = None,
    team: Annotated[str | None, Query(description="manager's email: the manager's team")] = None,
    stage: Annotated[str | None, Query(description="stage id or name")] = None,
    risk_level: RiskLevel | None = None,
    close_period: Annotated[str | None, Query(description="2026-Q3, 2026-07 or 2026-W27")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DealPage:
    """List the deals the caller may see, filtered, a page at a time."""
    owners = visible_owner_ids(session, user)
    for email, is_team in ((owner, False), (team, True)):
        if email:
            wanted = _user_ids_for(session, email, team=is_team)
            owners = wanted if owners is None else owners & wanted
    try:
        stage_id = parse_stage(stage).value if stage else None
        period = parse_period(close_period) if close_period else None
    except (SignalsError, ValueError) as exc:
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    rows = list_deal_summaries(
        session,
        owner_ids=owners,
        stage=stage_id,
        risk_level=risk_level,
        close_from=period.start if period else None,
        close_before=period.end if period else None,
        after_id=_decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return DealPage(data=rows, next=_encode_cursor(rows[-1].id) if more else None)


@router.get(
    "/{deal_id}",
    response_model=DealPublic,
    responses={304: {"description": "`If-None-Match` names the current ETag"}, 403: {}, 404: {}},
)
async def get_deal(
    deal_id: RowId,
    request: Request,
    user: ReaderUser,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Retrieve a deal with its risk, next step, stakeholders and history."""
    # One query decides access and whether the kept JSON of this version stands: every crud
    # write to what the view shows bumps the version. A session is made only on a miss.
    engine: Engine = request.app.state.engine
    if engine.dialect.name == "sqlite":
        # One indexed read of a local file (WAL: readers never wait for writers) costs less
        # than the hop to a worker thread and back.
        stamp = read_deal_stamp(engine, deal_id=deal_id)
    else:
        stamp = await run_in_threadpool(lambda: read_deal_stamp(engine, deal_id=deal_id))
    if stamp is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, "no such deal")
    if not can_read_owned(user, stamp.owner_id, lambda: stamp.owner_manager_id):
        raise ProblemError(status.HTTP_403_FORBIDDEN, "you may not see this deal")
    if if_none_match is not None and etag_matches(if_none_match, stamp.version):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(stamp.version)})
    views = read_caches(request).deal_views
    version, cached = stamp.version, views.get(deal_id, stamp.version)
    if cached is None:
        version, body = await run_in_threadpool(_deal_view, engine, user, deal_id)
        views.put(deal_id, version, body)
    else:
        body = cached
    return Response(body, media_type="application/json", headers={"ETag": etag(version)})


def _deal_view(engine: Engine, reader: User, deal_id: int) -> tuple[int, bytes]:
    """Build a deal's JSON (a cache miss). The row may be newer than the stamp (a write in
    between): access is checked again, and the body is tagged with the version it shows."""
    with RequestSession(engine) as session:
        user = session.merge(reader, load=False)
        deal = ensure_deal_access(session, user, crud.get_deal(session, deal_id=deal_id))
        return deal.version, deal_view_json(session, deal)


class StageMove(BaseModel):
    stage: str = Field(description="target stage id or name")
    override_reason: str | None = Field(default=None, min_length=3, max_length=2000)


@router.post(
    "/{deal_id}/stage",
    response_model=DealPublic,
    responses={403: {}, 404: {}, 409: {"description": "criteria unmet; body lists them in `unmet`"}, 412: {}},
)
def move_stage(
    deal_id: RowId,
    move: StageMove,
    session: SessionDep,
    user: CurrentUser,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> DealPublic:
    """Move a deal to another stage if the evidence meets its criteria (or with a recorded override)."""
    deal = ensure_deal_access(session, user, crud.get_deal(session, deal_id=deal_id), write=True)
    try:
        target = parse_stage(move.stage)
    except (SignalsError, ValueError) as exc:
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, f"stage: {exc}") from exc
    config = risk_config(session)
    check = check_stage_move(crud.deal_state(session, deal=deal), target, criteria=config.stage_criteria)
    if not check.allowed and not move.override_reason:
        unmet = [{"code": c.code.value, "description": c.description} for c in check.unmet]
        raise ProblemError(
            status.HTTP_409_CONFLICT,
            f"the evidence does not meet {target.value}'s criteria: "
            + "; ".join(c["description"] for c in unmet),
            title="Stage criteria unmet",
            unmet=unmet,
        )
    reason = move.override_reason if not check.allowed else None
    try:
        deal = crud.change_deal_stage(
            session,
            deal=deal,
            stage=target.value,
            by_user=user,
            override_reason=reason,
            expected_version=expected_version(if_match),
        )
    except VersionConflictError as exc:
        raise ProblemError(status.HTTP_412_PRECONDITION_FAILED, str(exc), title="Stale version") from exc
    rescore_deal(session, deal=deal)
    response.headers["ETag"] = etag(deal.version)
    return crud.deal_to_public(session, deal)
