"""Calls: upload (audio or transcript), status, insights, transcript."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import CurrentUser, RowId, SessionDep, ensure_deal_access
from api.intake import CallIntake, accept_file, accept_json
from api.problems import ProblemError
from models import crud
from models.enums import CallStatus, Role
from models.schemas import CallPublic
from models.tables import Call, User

router = APIRouter(prefix="/v1/calls", tags=["calls"])

_UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "audio or transcript"},
                        "deal_external_id": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "rep_channel": {"type": "string", "enum": ["left", "right"]},
                        "speakers": {"type": "integer", "minimum": 1, "maximum": 10},
                        "participants": {"type": "string", "description": "JSON list of {name, side, email}"},
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "a transcript (contracts/call-transcript.md) plus deal_external_id",
                    "required": ["date", "participants", "utterances"],
                    "properties": {"deal_external_id": {"type": "string"}},
                }
            },
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=_UPLOAD_DOC,
    responses={
        202: {"description": "queued; poll GET /v1/calls/{id}"},
        413: {"description": "too large"},
        415: {"description": "neither multipart nor JSON"},
        422: {"description": "unreadable file"},
    },
)
async def upload_call(request: Request, user: CurrentUser) -> JSONResponse:
    """Upload a call recording or transcript for processing."""
    intake = CallIntake.from_app(request.app, user_id=user.id)
    content_type = request.headers.get("content-type", "")
    declared = int(request.headers.get("content-length") or 0)
    if content_type.startswith("multipart/form-data"):
        intake.check_declared_size(declared, json_body=False)
        form = await request.form(max_files=1, max_fields=20)
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ProblemError(
                    422,
                    "body.file: a file is required",
                    errors=[{"loc": ["body", "file"], "msg": "required"}],
                )
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
            accepted = await run_in_threadpool(
                accept_file, intake, upload.file, upload.filename or "upload", fields
            )
        finally:
            await form.close()
    elif "json" in content_type:
        intake.check_declared_size(declared, json_body=True)
        body = await request.body()
        accepted = await run_in_threadpool(accept_json, intake, body)
    else:
        raise ProblemError(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send multipart/form-data with a 'file' part, or a JSON transcript",
        )
    await run_in_threadpool(request.app.state.runner.submit, int(accepted["id"]))  # may talk to a broker
    return JSONResponse(accepted, status_code=status.HTTP_202_ACCEPTED)


def _visible_call(session: Session, user: User, call_id: int) -> Call:
    call = crud.get_call(session, call_id=call_id)
    if call is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no call {call_id}")
    if call.deal_id is not None:
        ensure_deal_access(session, user, crud.get_deal(session, deal_id=call.deal_id))
    elif user.role not in (Role.LEADER, Role.REVOPS) and call.created_by_id != user.id:
        raise ProblemError(status.HTTP_403_FORBIDDEN, "you may not see this call")
    return call


@router.post(
    "/{call_id}/reanalyze",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CallPublic,
    responses={403: {}, 404: {}, 409: {"description": "the call is being processed"}},
)
def reanalyze_call(call_id: RowId, request: Request, session: SessionDep, user: CurrentUser) -> CallPublic:
    """Queue a processed call for analysis again; what reviewers decided stays decided."""
    call = _visible_call(session, user, call_id)
    if call.deal_id is not None:
        ensure_deal_access(session, user, crud.get_deal(session, deal_id=call.deal_id), write=True)
    elif user.role is Role.LEADER:
        raise ProblemError(status.HTTP_403_FORBIDDEN, "leaders read calls; they do not re-run them")
    if call.status not in (CallStatus.DONE, CallStatus.FAILED):
        raise ProblemError(
            status.HTTP_409_CONFLICT, f"the call is {call.status.value}; wait until it is done"
        )
    call = crud.requeue_call(session, call=call)
    request.app.state.runner.submit(call_id)
    return crud.call_to_public(session, call)


@router.get("/{call_id}", response_model=CallPublic)
def get_call(call_id: RowId, session: SessionDep, user: CurrentUser) -> CallPublic:
    """Retrieve a call's processing status and progress."""
    return crud.call_to_public(session, _visible_call(session, user, call_id))


@router.get("/{call_id}/insights", responses={409: {"description": "not processed yet"}})
def get_insights(call_id: RowId, session: SessionDep, user: CurrentUser) -> JSONResponse:
    """Retrieve the call's insights (contracts/call-insights.md)."""
    call = _visible_call(session, user, call_id)
    if call.status is not CallStatus.DONE or call.insights is None:
        detail = call.error if call.status is CallStatus.FAILED else f"the call is {call.status.value}"
        raise ProblemError(
            status.HTTP_409_CONFLICT, f"no insights yet: {detail}", call_status=call.status.value
        )
    return JSONResponse(call.insights)


@router.get("/{call_id}/transcript", responses={409: {"description": "not transcribed yet"}})
def get_transcript(call_id: RowId, session: SessionDep, user: CurrentUser) -> JSONResponse:
    """Retrieve the call's transcript with speakers and sides."""
    call = _visible_call(session, user, call_id)
    if call.transcript is None:
        raise ProblemError(status.HTTP_409_CONFLICT, f"no transcript yet: the call is {call.status.value}")
    return JSONResponse(json.loads(json.dumps(call.transcript)))
