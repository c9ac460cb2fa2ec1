"""Reviewing extracted next steps: accept, edit, reject, mark done."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CurrentUser, SessionDep, ensure_deal_access
from api.flows import rescore_deal
from api.problems import ProblemError
from models import crud
from models.schemas import NextStepPublic, NextStepReview

router = APIRouter(prefix="/v1/next-steps", tags=["review"])


@router.post("/{next_step_id}/review", response_model=NextStepPublic, responses={403: {}, 404: {}})
def review_next_step(
    next_step_id: int, review: NextStepReview, session: SessionDep, user: CurrentUser
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
