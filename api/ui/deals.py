"""The deal page and the call page (transcript beside the recording, extracted items highlighted)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import RowId, SessionDep, SettingsDep, can_write_deal
from api.ui.access import page_call, page_deal
from api.ui.auth import PageUserDep
from api.ui.render import PageError, render
from models import crud
from models.crud import pages as page_queries
from models.tables import Call

router = APIRouter(include_in_schema=False)


@router.get("/deals/{deal_id}", response_class=HTMLResponse)
def deal_page(deal_id: RowId, request: Request, session: SessionDep, me: PageUserDep) -> HTMLResponse:
    """Show a deal: risk and its evidence, people, next steps, objections, methodology, history, calls."""
    deal = page_deal(session, me.user, deal_id)
    public = crud.deal_to_public(session, deal)
    steps = [crud.next_step_to_public(s) for s in crud.list_next_steps(session, deal_id=deal_id)]
    context = {
        "deal": public,
        "steps": steps,
        "calls": crud.list_deal_calls(session, deal_id=deal_id),
        "close_history": page_queries.close_date_history(session, deal_id=deal_id),
        "can_write": can_write_deal(session, me.user, deal),
        "back": f"/deals/{deal_id}",
    }
    return render(request, "deal.html", context)


def highlights(insights: dict[str, Any] | None) -> dict[int, list[tuple[str, str]]]:
    """Map utterance index -> (kind, label) for the items extracted from it."""
    marks: dict[int, list[tuple[str, str]]] = {}
    if not insights:
        return marks

    def add(index: Any, kind: str, text: str) -> None:
        if isinstance(index, int):
            marks.setdefault(index, []).append((kind, text))

    for step in insights.get("next_steps", []):
        add(step.get("utterance"), "next-step", "Next step")
    for objection in insights.get("objections", []):
        add(objection.get("utterance"), "objection", f"Objection: {objection.get('category', '')}")
    for person in insights.get("stakeholders", []):
        for index in person.get("utterances", []):
            add(index, "stakeholder", f"Stakeholder: {person.get('name', '')}")
    methodology = insights.get("methodology") or {}
    for element, evidence in (methodology.get("elements") or {}).items():
        for index in (evidence or {}).get("evidence", []):
            add(index, "methodology", f"{methodology.get('framework', '')}: {element}")
    return marks


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call_page(
    call_id: RowId, request: Request, session: SessionDep, me: PageUserDep, settings: SettingsDep
) -> HTMLResponse:
    """Show a call's transcript with its recording; clicking a line plays from there."""
    call, deal = page_call(session, me.user, call_id)
    context = {
        "call": call,
        "deal": deal,
        "utterances": page_queries.call_utterances(session, call_id=call_id),
        "marks": highlights(call.insights),
        "speakers": (call.insights or {}).get("speakers", []),
        "has_audio": _audio_file(call, settings.audio_dir) is not None,
    }
    return render(request, "call.html", context)


def _audio_file(call: Call, audio_dir: Path) -> Path | None:
    """Return the call's stored recording if it exists inside the audio folder."""
    if not call.audio_path:
        return None
    path = Path(call.audio_path).resolve()
    if not path.is_file() or not path.is_relative_to(audio_dir.resolve()):
        return None
    return path


@router.get("/calls/{call_id}/audio")
def call_audio(call_id: RowId, session: SessionDep, me: PageUserDep, settings: SettingsDep) -> FileResponse:
    """Stream a call's recording (byte ranges supported) to someone who may see its deal."""
    call, _deal = page_call(session, me.user, call_id)
    path = _audio_file(call, settings.audio_dir)
    if path is None:
        raise PageError(status.HTTP_404_NOT_FOUND, "This call has no recording.")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
