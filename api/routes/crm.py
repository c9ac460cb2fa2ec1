"""The CRM's side of deals: upsert and read by the CRM's own id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import JSONResponse

from api.deps import CurrentUser, RevOpsUser, SessionDep, ensure_deal_access
from api.flows import rescore_deal
from api.idempotency import replay_or_run
from api.problems import ProblemError
from api.routes.deals import etag
from models import crud
from models.schemas import CrmDealUpsert, DealPublic

router = APIRouter(prefix="/v1/crm", tags=["crm"])


@router.put(
    "/deals/{external_id}",
    response_model=DealPublic,
    responses={200: {"description": "updated"}, 201: {"description": "created"}, 412: {}, 422: {}},
)
def upsert_crm_deal(
    external_id: str,
    body: CrmDealUpsert,
    request: Request,
    session: SessionDep,
    user: RevOpsUser,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Create (201) or update (200) a deal by the CRM's id."""

    def run() -> tuple[int, dict[str, object], dict[str, str]]:
        existing = crud.get_deal_by_external_id(session, external_id=external_id)
        if (
            existing is not None
            and if_match is not None
            and if_match.strip() not in (etag(existing.version), "*")
        ):
            raise ProblemError(
                status.HTTP_412_PRECONDITION_FAILED,
                f"the deal is at version {existing.version}; re-read it and retry",
                title="Stale version",
            )
        deal, created = crud.upsert_deal_from_crm(session, external_id=external_id, data=body, by_user=user)
        rescore_deal(session, deal=deal)
        public = crud.deal_to_public(session, deal).model_dump(mode="json")
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return code, public, {"ETag": etag(deal.version)}

    return replay_or_run(
        session,
        user=user,
        api_key_id=getattr(request.state, "api_key_id", None),
        key=idempotency_key,
        method="PUT",
        path=request.url.path,
        body=body,
        run=run,
    )


@router.get("/deals/{external_id}", response_model=DealPublic, responses={403: {}, 404: {}})
def get_crm_deal(external_id: str, session: SessionDep, user: CurrentUser, response: Response) -> DealPublic:
    """Retrieve a deal by the CRM's id."""
    deal = ensure_deal_access(session, user, crud.get_deal_by_external_id(session, external_id=external_id))
    response.headers["ETag"] = etag(deal.version)
    return crud.deal_to_public(session, deal)
