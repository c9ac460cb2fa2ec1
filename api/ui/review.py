"""The rep's review queue: suggested next steps from recent calls, accepted, edited or rejected in place."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select

from api.deps import RowId, SessionDep, SettingsDep
from api.flows import rescore_deal
from api.ui.access import owner_scope, page_deal
from api.ui.auth import PageUserDep, check_form, safe_next
from api.ui.render import PageError, render
from models import crud
from models.crud import pages as page_queries
from models.crud.next_steps import effective
from models.enums import ReviewDecision, Role
from models.schemas import NextStepReview
from models.tables import NextStep, User

router = APIRouter(include_in_schema=False)
QUEUE_DAYS = 30


@router.get("/", response_class=HTMLResponse)
def review_queue(request: Request, session: SessionDep, me: PageUserDep, days: int = QUEUE_DAYS) -> Response:
    """Show suggested next steps from recent calls of the deals the user may review."""
    if me.user.role is Role.LEADER:
        return RedirectResponse("/forecast", status_code=status.HTTP_303_SEE_OTHER)
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=max(1, min(days, 365)))
    items = page_queries.review_queue(session, owner_ids=owner_scope(session, me.user), since=since)
    deals: dict[int, list[page_queries.QueueItem]] = {}
    for item in items:
        deals.setdefault(item.deal_id, []).append(item)
    objections, stakeholders = page_queries.deal_summaries(session, deal_ids=list(deals))
    owner_ids = {item.owner_id for item in items}
    owners = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(owner_ids))).all())
    context = {
        "groups": [
            {
                "deal_id": deal_id,
                "name": rows[0].deal_name,
                "owner": owners.get(rows[0].owner_id) if me.user.role is not Role.REP else None,
                "items": rows,
                "objections": objections.get(deal_id, []),
                "stakeholders": stakeholders.get(deal_id, []),
            }
            for deal_id, rows in deals.items()
        ],
        "days": days,
        "today": dt.datetime.now(dt.UTC).date(),
    }
    return render(request, "queue.html", context)


def _review_from_form(step: NextStep, decision: str, fields: dict[str, str]) -> NextStepReview:
    """Build the review, keeping only edited fields that differ from the step as it stands."""
    current = effective(step)
    data: dict[str, Any] = {"decision": decision}
    if decision == ReviewDecision.EDIT:
        for name, raw in fields.items():
            value = raw.strip()
            shown = current[name].isoformat() if name == "due" and current[name] else (current[name] or "")
            if value and value != shown:
                data[name] = value
    try:
        return NextStepReview.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "form"
        raise PageError(status.HTTP_400_BAD_REQUEST, f"{where}: {problem['msg']}") from exc


@router.post("/next-steps/{next_step_id}/review")
def review_next_step(
    next_step_id: RowId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: PageUserDep,
    decision: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/",
) -> Response:
    """Accept, edit, reject or mark done a next step, then go back (or answer JSON to scripts)."""
    check_form(request, me, settings, csrf_token)
    step = crud.get_next_step(session, next_step_id=next_step_id)
    if step is None or step.deal_id is None:
        raise PageError(status.HTTP_404_NOT_FOUND, "There is no such next step.")
    deal = page_deal(session, me.user, step.deal_id, write=True)
    review = _review_from_form(step, decision, {"action": action, "owner": owner, "due": due})
    step = crud.review_next_step(session, next_step=step, review=review, by_user=me.user)
    rescore_deal(session, deal=deal)
    if request.headers.get("x-requested-with") == "fetch":
        return JSONResponse(crud.next_step_to_public(step).model_dump(mode="json"))
    return RedirectResponse(f"{safe_next(back)}#step-{next_step_id}", status_code=status.HTTP_303_SEE_OTHER)
