"""Reviewing what extraction found besides next steps: objections and stakeholders."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import MAX_ID, CurrentUser, RowId, SessionDep, ensure_deal_access
from api.flows import rescore_deal
from api.problems import ProblemError
from extract.types import StakeholderRole
from models import crud
from models.crud.reviews import merge_stakeholders, review_objection, review_stakeholder
from models.enums import ObjectionStatus
from models.schemas import ObjectionPublic
from models.tables import Objection, Stakeholder, User

router = APIRouter(prefix="/v1", tags=["review"])


class ObjectionReview(BaseModel):
    status: ObjectionStatus


class StakeholderReview(BaseModel):
    role: StakeholderRole | None = None
    decision_maker: bool | None = None


class StakeholderMerge(BaseModel):
    duplicate_id: int = Field(ge=1, le=MAX_ID)


class StakeholderOut(BaseModel):
    id: int
    deal_id: int
    contact_id: int
    role: StakeholderRole | None
    decision_maker: bool
    confirmed: bool
    on_calls: int


def _writable_deal(session: Session, user: User, deal_id: int | None) -> None:
    if deal_id is None:
        raise ProblemError(status.HTTP_409_CONFLICT, "this item belongs to no deal")
    ensure_deal_access(session, user, crud.get_deal(session, deal_id=deal_id), write=True)


def _rescore(session: Session, deal_id: int) -> None:
    deal = crud.get_deal(session, deal_id=deal_id)
    if deal is not None:
        rescore_deal(session, deal=deal)


@router.post(
    "/objections/{objection_id}/review", response_model=ObjectionPublic, responses={403: {}, 404: {}}
)
def review_an_objection(
    objection_id: RowId, body: ObjectionReview, session: SessionDep, user: CurrentUser
) -> ObjectionPublic:
    """Mark an objection addressed or open again (kept across re-analysis; audited)."""
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no objection {objection_id}")
    _writable_deal(session, user, objection.deal_id)
    objection = review_objection(session, objection=objection, status=body.status, by_user=user)
    _rescore(session, objection.deal_id or 0)
    return ObjectionPublic.model_validate(objection)


def _stakeholder(session: Session, user: User, stakeholder_id: int) -> Stakeholder:
    row = session.get(Stakeholder, stakeholder_id)
    if row is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no stakeholder {stakeholder_id}")
    _writable_deal(session, user, row.deal_id)
    return row


@router.post(
    "/stakeholders/{stakeholder_id}/review", response_model=StakeholderOut, responses={403: {}, 404: {}}
)
def review_a_stakeholder(
    stakeholder_id: RowId, body: StakeholderReview, session: SessionDep, user: CurrentUser
) -> StakeholderOut:
    """Confirm a stakeholder's role and whether they decide (extraction stops changing them)."""
    row = _stakeholder(session, user, stakeholder_id)
    row = review_stakeholder(
        session, stakeholder=row, role=body.role, decision_maker=body.decision_maker, by_user=user
    )
    _rescore(session, row.deal_id)
    return StakeholderOut.model_validate(row, from_attributes=True)


@router.post(
    "/stakeholders/{stakeholder_id}/merge",
    response_model=StakeholderOut,
    responses={403: {}, 404: {}, 422: {}},
)
def merge_a_stakeholder(
    stakeholder_id: RowId, body: StakeholderMerge, session: SessionDep, user: CurrentUser
) -> StakeholderOut:
    """Merge a duplicate stakeholder of the same deal into this one ("Sarah" and "Sarah Chen")."""
    keep = _stakeholder(session, user, stakeholder_id)
    duplicate = _stakeholder(session, user, body.duplicate_id)
    if duplicate.id == keep.id or duplicate.deal_id != keep.deal_id:
        raise ProblemError(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "duplicate_id: another stakeholder of this deal"
        )
    keep = merge_stakeholders(session, keep=keep, duplicate=duplicate, by_user=user)
    _rescore(session, keep.deal_id)
    return StakeholderOut.model_validate(keep, from_attributes=True)
