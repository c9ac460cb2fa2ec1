"""The CRM's side of deals: upsert (one or in bulk), read, contacts by email, CRM field mappings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.crm_fields import crm_fields
from api.deps import CurrentUser, RevOpsUser, SessionDep, ensure_deal_access, read_caches
from api.flows import rescore_deal, rescore_deals
from api.idempotency import replay_or_run
from api.problems import ProblemError
from api.routes.deals import etag, etag_matches, expected_version
from models import crud
from models.crud.crm_bulk import BulkOutcome, upsert_deals_from_crm
from models.crud.public import deal_view_json
from models.errors import VersionConflictError
from models.schemas import CrmDealUpsert, DealPublic, normalize_email
from models.tables import Account, Contact, Deal, User

BULK_MAX = 200  # as Salesforce's sObject Collections

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
        # The version check happens in the same UPDATE as the write (crud), so it cannot race.
        deal, created = crud.upsert_deal_from_crm(
            session,
            external_id=external_id,
            data=body,
            by_user=user,
            expected_version=expected_version(if_match),
        )
        _rescore_written(session, deal)
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


def _rescore_written(session: Session, deal: Deal) -> None:
    """Re-score a deal just written and committed; a write that lands in between re-scores it itself."""
    try:
        rescore_deal(session, deal=deal)
    except VersionConflictError:
        # Not a 412: our write is committed. Answering 412 here made clients retry (and apply)
        # a write that had succeeded; report the deal as it stands now instead.
        session.refresh(deal)


@router.get(
    "/deals/{external_id}",
    response_model=DealPublic,
    responses={304: {"description": "`If-None-Match` names the current ETag"}, 403: {}, 404: {}},
)
def get_crm_deal(
    external_id: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Retrieve a deal by the CRM's id (the same JSON as `GET /v1/deals/{id}`, kept per version)."""
    deal = ensure_deal_access(session, user, crud.get_deal_by_external_id(session, external_id=external_id))
    assert deal.id is not None
    if if_none_match is not None and etag_matches(if_none_match, deal.version):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(deal.version)})
    views = read_caches(request).deal_views
    body = views.get(deal.id, deal.version)
    if body is None:
        body = deal_view_json(session, deal)
        views.put(deal.id, deal.version, body)
    return Response(body, media_type="application/json", headers={"ETag": etag(deal.version)})


class CrmDealRecord(CrmDealUpsert):
    """One record of a bulk upsert: the deal body plus its CRM id."""

    external_id: str = Field(min_length=1, max_length=128)


class BulkDealsIn(BaseModel):
    """Body of POST /v1/crm/deals/bulk; records are checked one by one, so one bad record sinks nothing."""

    records: list[Any] = Field(min_length=1)


class BulkResult(BaseModel):
    external_id: str | None
    status: Literal["created", "updated", "error"]
    id: int | None = None
    errors: list[dict[str, Any]] | None = None


class BulkDealsOut(BaseModel):
    results: list[BulkResult]
    created: int
    updated: int
    failed: int


@router.post(
    "/deals/bulk",
    response_model=BulkDealsOut,
    responses={401: {}, 403: {}, 413: {"description": f"more than {BULK_MAX} records"}, 422: {}},
)
def bulk_upsert_crm_deals(
    body: BulkDealsIn,
    request: Request,
    session: SessionDep,
    user: RevOpsUser,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    """Create or update up to 200 deals by CRM id, with a result per record."""
    if len(body.records) > BULK_MAX:
        raise ProblemError(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(body.records)} records; send at most {BULK_MAX} per request",
            title="Too many records",
        )

    def run() -> tuple[int, dict[str, object], dict[str, str]]:
        results = _bulk_upsert(session, body.records, user)
        counts = {s: sum(r.status == s for r in results) for s in ("created", "updated", "error")}
        out = BulkDealsOut(
            results=results, created=counts["created"], updated=counts["updated"], failed=counts["error"]
        )
        payload = out.model_dump(mode="json")
        payload["results"] = [  # id only when stored, errors only when failed
            {k: v for k, v in r.items() if v is not None or k == "external_id"} for r in payload["results"]
        ]
        return status.HTTP_200_OK, payload, {}

    return replay_or_run(
        session,
        user=user,
        api_key_id=getattr(request.state, "api_key_id", None),
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        run=run,
    )


def _bulk_upsert(session: Session, raw_records: list[Any], user: User) -> list[BulkResult]:
    """Validate every record, write the valid ones in one transaction, re-score the stored deals."""
    results: list[BulkResult | None] = []
    valid: list[tuple[int, CrmDealRecord]] = []
    for raw in raw_records:
        checked = _validate_record(raw)
        if isinstance(checked, BulkResult):
            results.append(checked)
        else:
            valid.append((len(results), checked))
            results.append(None)
    outcomes = upsert_deals_from_crm(
        session, records=[(record.external_id, record) for _, record in valid], by_user=user
    )
    for (position, record), outcome in zip(valid, outcomes, strict=True):
        results[position] = _result(record.external_id, outcome)
    rescore_deals(session, deals=[outcome.deal for outcome in outcomes if outcome.deal is not None])
    return [result for result in results if result is not None]


def _validate_record(raw: Any) -> CrmDealRecord | BulkResult:
    if not isinstance(raw, dict):
        return BulkResult(external_id=None, status="error", errors=[{"loc": [], "msg": "not an object"}])
    try:
        return CrmDealRecord.model_validate(raw)
    except ValidationError as exc:
        external_id = raw.get("external_id") if isinstance(raw.get("external_id"), str) else None
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return BulkResult(external_id=external_id, status="error", errors=errors)


def _result(external_id: str, outcome: BulkOutcome) -> BulkResult:
    if outcome.deal is None:
        return BulkResult(external_id=external_id, status="error", errors=[{"loc": [], "msg": outcome.error}])
    kind: Literal["created", "updated"] = "created" if outcome.created else "updated"
    return BulkResult(external_id=external_id, status=kind, id=outcome.deal.id)


class CrmContactUpsert(BaseModel):
    """Body of PUT /v1/crm/contacts/{email}."""

    name: str = Field(min_length=1, max_length=255)
    account: str = Field(min_length=1, max_length=255)
    title: str | None = Field(default=None, max_length=255)


class CrmContactPublic(BaseModel):
    id: int
    email: str
    name: str
    title: str | None
    account: str


@router.put(
    "/contacts/{email}",
    response_model=CrmContactPublic,
    responses={200: {"description": "updated"}, 201: {"description": "created"}, 422: {}},
)
def upsert_crm_contact(
    email: str, body: CrmContactUpsert, session: SessionDep, _user: RevOpsUser
) -> JSONResponse:
    """Create (201) or update (200) a contact by email address."""
    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc), title="Invalid email") from exc
    try:
        contact, account, created = _upsert_contact(session, address, body)
    except IntegrityError:  # a concurrent request created the same contact or account first
        session.rollback()
        contact, account, created = _upsert_contact(session, address, body)
    public = CrmContactPublic(
        id=contact.id or 0, email=address, name=contact.name, title=contact.title, account=account.name
    )
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return JSONResponse(public.model_dump(mode="json"), status_code=code)


def _upsert_contact(session: Session, address: str, body: CrmContactUpsert) -> tuple[Contact, Account, bool]:
    account = crud.upsert_account(session, name=body.account)
    created = session.exec(select(Contact.id).where(Contact.email == address)).first() is None
    # The CRM is the source of truth for a contact it names by email: take its name and account.
    contact = crud.upsert_contact(
        session, account=account, name=body.name, email=address, title=body.title, authoritative=True
    )
    session.commit()
    session.refresh(contact)
    return contact, account, created


@router.get("/deals/{external_id}/fields", responses={403: {}, 404: {}, 422: {}})
def get_crm_deal_fields(
    external_id: str,
    session: SessionDep,
    user: CurrentUser,
    target: Annotated[Literal["salesforce", "hubspot"], Query(description="the CRM to map onto")],
) -> dict[str, Any]:
    """Retrieve a deal's values in a CRM's field names (Salesforce Opportunity or HubSpot deal)."""
    deal = ensure_deal_access(session, user, crud.get_deal_by_external_id(session, external_id=external_id))
    public = crud.deal_to_public(session, deal)
    obj = "Opportunity" if target == "salesforce" else "deal"
    return {"target": target, "object": obj, "external_id": external_id, "fields": crm_fields(public, target)}
