"""The manager's inspection: methodology adherence and talk metrics per rep, and the weekly review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from api.deps import SessionDep, SettingsDep
from api.flows import risk_config
from api.inspection import review_from_data, review_window
from api.ui.access import require_role, team_of
from api.ui.auth import PageUserDep
from api.ui.cache import PerDealCache, deal_cache, ui_cache
from api.ui.render import PageError, render
from extract.types import Framework
from models.crud import pages as page_queries
from models.crud.review_data import ReviewData, adherence_elements, review_entries, split_fresh
from models.enums import Role
from models.tables import User
from signals.errors import PeriodError
from signals.methodology import Coverage, CoveredElements, element_coverage, rollup
from signals.periods import week_of

router = APIRouter(include_in_schema=False)
TALK_DAYS = 90


def _managers(session: Session) -> list[User]:
    return list(session.exec(select(User).where(User.role == Role.MANAGER).order_by(col(User.name))).all())


def _pick_manager(session: Session, me: User, manager_id: int | None) -> User:
    """A manager inspects their own team; leaders and RevOps pick any manager's."""
    if me.role is Role.MANAGER:
        return me
    managers = _managers(session)
    chosen = next((m for m in managers if m.id == manager_id), managers[0] if managers else None)
    if chosen is None:
        raise PageError(status.HTTP_404_NOT_FOUND, "There are no managers yet.")
    return chosen


def adherence(
    evidence_by_deal: Sequence[tuple[str, CoveredElements | None]],
    people: Sequence[User],
    framework: Framework,
) -> list[dict[str, Any]]:
    """Methodology coverage per rep over their deals with processed calls ((owner, evidence) each)."""
    names = {u.email: u.name for u in people}
    per_rep: dict[str, list[Coverage]] = {u.name: [] for u in people}
    for owner, evidence in evidence_by_deal:
        if owner in names:
            judged = evidence.framework if evidence else framework
            per_rep[names[owner]].append(element_coverage(evidence, judged))
    rolled = {r.key: r for r in rollup({k: v for k, v in per_rep.items() if v}) if r.framework == framework}
    rows = []
    for name in per_rep:
        r = rolled.get(name)
        rows.append(
            {
                "name": name,
                "deals": r.items if r else 0,
                "percent": r.mean_percent if r else None,
                "rates": dict(r.element_rates) if r else {},
                "weakest": r.weakest if r else (),
            }
        )
    return rows


def talk_metrics(session: Session, people: Sequence[User], since: dt.date) -> list[dict[str, Any]]:
    """Average rep talk share, longest monologue and questions per call, per rep."""
    names = {u.id: u.name for u in people if u.id is not None}
    sums: dict[int, list[float]] = {uid: [0, 0.0, 0.0, 0.0] for uid in names if uid is not None}
    for owner_id, speakers in page_queries.talk_speakers(session, owner_ids=list(names), since=since):
        reps = [s for s in speakers or [] if isinstance(s, dict) and s.get("side") == "rep"]
        if not reps:
            continue
        row = sums[owner_id]
        row[0] += 1
        row[1] += sum(float(s.get("talk_ratio") or 0) for s in reps)
        row[2] += max(float(s.get("longest_monologue_s") or 0) for s in reps)
        row[3] += sum(int(s.get("questions") or 0) for s in reps)
    return [
        {
            "name": names[uid],
            "calls": int(n),
            "talk": t / n if n else None,
            "monologue": m / n if n else None,
            "questions": q / n if n else None,
        }
        for uid, (n, t, m, q) in sums.items()
    ]


@router.get("/team", response_class=HTMLResponse)
def team_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: PageUserDep,
    manager: int | None = None,
    week: str | None = None,
) -> HTMLResponse:
    """Show a manager's team: adherence, talk metrics and the weekly pipeline review."""
    require_role(me.user, Role.MANAGER, Role.LEADER, Role.REVOPS)
    lead = _pick_manager(session, me.user, manager)
    people = team_of(session, lead)
    now = dt.datetime.now(dt.UTC)
    week_label = week or week_of(now.date()).label
    framework = Framework(settings.extract.framework)
    key = ("team", lead.id, tuple(u.id for u in people), week_label, framework, now.date())
    summary = ui_cache(request).get_or_compute(
        key,
        page_queries.data_version(session),
        lambda: team_summary(session, lead, people, week_label, framework, now, deal_cache(request)),
    )
    context = {
        "lead": lead,
        "managers": _managers(session) if me.user.role is not Role.MANAGER else [],
        "framework": framework.value,
        "talk_days": TALK_DAYS,
        **summary,
    }
    return render(request, "team.html", context)


def team_summary(
    session: Session,
    lead: User,
    people: Sequence[User],
    week: str,
    framework: Framework,
    now: dt.datetime,
    deals: PerDealCache | None = None,
) -> dict[str, Any]:
    """Compute the team's review, adherence and talk metrics (cached by the caller).

    The review reads stored risk (scoring only stale deals) and the week's moves and next
    steps, through `deals` when given (only deals changed since are read again); adherence
    reads which methodology elements each deal covers: no full deal states are built.
    """
    members = [lead, *(u for u in people if u.id != lead.id)]
    config = risk_config(session)
    try:
        data = _review_data(session, members, week, now, deals or PerDealCache())
        review = review_from_data(session, data, members=members, week=week, now=now, config=config)
    except PeriodError as exc:
        raise PageError(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    owners = [u.id for u in people if u.id is not None]
    evidence = adherence_elements(session, owner_ids=owners, processed_only=True)
    return {
        "adherence": adherence(evidence, people, framework),
        "talk": talk_metrics(session, people, now.date() - dt.timedelta(days=TALK_DAYS)),
        "review": review,
        "names": {s.id: s.name for s in data.states},
    }


def _review_data(
    session: Session, members: Sequence[User], week: str, now: dt.datetime, deals: PerDealCache
) -> ReviewData:
    owners = [m.id for m in members if m.id is not None]
    window = review_window(week)
    entries = deals.read_through(
        session,
        ("review", window),
        owner_ids=owners,
        load=lambda scope: review_entries(session, scope=scope, window=window),
    )
    return split_fresh(entries, now)
