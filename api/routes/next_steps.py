"""Reviewing extracted next steps: accept, edit, reject, mark done."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, RowId, SessionDep, ensure_deal_access
from api.flows import rescore_deal
from api.problems import ProblemError
from api.routes.deals import visible_owner_ids
from models import crud
from models.crud.deal_list import list_review_queue
from models.enums import NextStepStatus
from models.schemas import NextStepPublic, NextStepReview

router = APIRouter(prefix="/v1/next-steps", tags=["review"])


@router.get("", response_model=list[NextStepPublic])
def list_next_steps(
    session: SessionDep,
    user: CurrentUser,
    status_in: Annotated[list[NextStepStatus] | None, Query(alias="status")] = None,
    sort: Literal["confidence", "due"] = "confidence",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NextStepPublic]:
    """List next steps to review across the caller's deals (default: suggested, most confident first)."""
    steps = list_review_queue(
        session,
        owner_ids=visible_owner_ids(session, user),
        statuses=status_in or [NextStepStatus.SUGGESTED],
        sort=sort,
        limit=limit,
    )
    return [crud.next_step_to_public(step) for step in steps]


@router.post("/{next_step_id}/review", response_model=NextStepPublic, responses={403: {}, 404: {}})
def review_next_step(
    next_step_id: RowId, review: NextStepReview, session: SessionDep, user: CurrentUser
) -> NextStepPublic:
    """Accept, edit, reject or mark done a suggested next step (audited)."""
    step = crud.get_next_step(session, next_step_id=next_step_id)
    if step is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no next step {next_step_id}")
    deal = None
    if step.deal_id is not None:
        deal = ensure_deal_access(session, user, crud.get_deal(session, deal_id=step.deal_id), write=True)
    step = crud.review_next_step(session, next_step=step, review=review, by_user=user)
    if deal is not None:
        rescore_deal(session, deal=deal)
    return crud.next_step_to_public(step)
