"""Deals as DealSignal sees them: risk, next step, stakeholders, objections, history."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CurrentUser, SessionDep, ensure_deal_access
from models import crud
from models.schemas import DealPublic

router = APIRouter(prefix="/v1/deals", tags=["deals"])


def etag(version: int) -> str:
    """Return the ETag header value for a deal version."""
    return f'"{version}"'


@router.get("/{deal_id}", response_model=DealPublic, responses={403: {}, 404: {}})
def get_deal(deal_id: int, session: SessionDep, user: CurrentUser, response: Response) -> DealPublic:
    """Retrieve a deal with its risk, next step, stakeholders and history."""
    deal = ensure_deal_access(session, user, crud.get_deal(session, deal_id=deal_id))
    response.headers["ETag"] = etag(deal.version)
    return crud.deal_to_public(session, deal)
