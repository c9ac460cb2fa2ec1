"""Process one queued call: transcribe (audio) -> extract -> update the deal -> store.

Bad input fails the call with its reason; nothing is half-stored, because the results and
the deal updates are written in one transaction by `crud.save_call_results`. A worker that
holds a lease (`api.runner_celery`) passes its token: every write is then fenced on it, and a
worker that lost the call to another stops without writing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import flows
from api.engines import Engines
from extract.errors import ExtractError
from models import crud
from models.crud.leases import LeaseLostError, lock_leased_call
from models.enums import CallKind, CallStatus
from models.errors import DatabaseUnavailableError
from models.tables import Call
from transcribe.errors import TranscribeError
from transcribe.json_format import transcript_from_json
from transcribe.types import Participant, Side, Transcript

log = logging.getLogger("dealsignal.processing")

# Called with (stage, seconds) after each stage ("transcribe", "analyze", "store"); /metrics listens.
STAGE_OBSERVERS: list[Callable[[str, float], None]] = []


def process_call(call_id: int, *, engine: Engine, engines: Engines, token: int | None = None) -> None:
    """Run a claimed call through the pipeline and record the outcome (fenced on `token` if given)."""
    try:
        started = time.perf_counter()
        transcript = _transcript_for(call_id, engine=engine, engines=engines, token=token)
        _set_status(engine, call_id, CallStatus.ANALYZING, 0.0, token)
        started = _observe("transcribe", started)
        with Session(engine) as session:
            framework = flows.org_framework(session)
        insights = flows.analyze(transcript, engines=engines, framework=framework)
        started = _observe("analyze", started)
        with Session(engine) as session:
            call = _get(session, call_id, token)
            crud.save_call_results(session, call=call, transcript=transcript, insights=insights)
            deal = crud.get_deal(session, deal_id=call.deal_id) if call.deal_id is not None else None
            if deal is not None:
                flows.rescore_deal(session, deal=deal)
        _observe("store", started)
    except LeaseLostError:
        log.warning("call %s: another worker took it over; dropping this attempt", call_id)
    except (TranscribeError, ExtractError) as exc:
        _fail(engine, call_id, str(exc), token)
    except Exception as exc:  # a bug must not kill the worker; the call records why it failed
        if token is not None and _transient(exc):
            raise  # a queue worker retries the call later with the same lease
        log.exception("call %s failed", call_id)
        _fail(engine, call_id, f"internal error: {type(exc).__name__}: {exc}", token)


def _transient(exc: BaseException) -> bool:
    """Tell a database outage (worth a retry) from a bug or bad data (not)."""
    if isinstance(exc, DatabaseUnavailableError | sa.exc.OperationalError | sa.exc.InterfaceError):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated


def _observe(stage: str, started: float) -> float:
    now = time.perf_counter()
    for observer in STAGE_OBSERVERS:
        observer(stage, now - started)
    return now


def _get(session: Session, call_id: int, token: int | None = None) -> Call:
    if token is not None:
        return lock_leased_call(session, call_id=call_id, token=token)
    call = crud.get_call(session, call_id=call_id)
    if call is None:
        raise LookupError(f"call {call_id} vanished")
    return call


def _transcript_for(call_id: int, *, engine: Engine, engines: Engines, token: int | None) -> Transcript:
    with Session(engine) as session:
        call = _get(session, call_id, token)
        kind, stored, audio_path, options = call.kind, call.transcript, call.audio_path, dict(call.options)
        date = call.date
    if stored is not None:  # an uploaded transcript, or a recording already transcribed (re-analysis)
        return transcript_from_json(stored)
    if kind is CallKind.TRANSCRIPT:
        raise TranscribeError("the call has no stored transcript")
    if audio_path is None:
        raise TranscribeError("the call has no stored recording")

    def progress(done_s: float, total_s: float) -> None:
        _set_status(engine, call_id, CallStatus.TRANSCRIBING, done_s / total_s if total_s else 0.0, token)

    _set_status(engine, call_id, CallStatus.TRANSCRIBING, 0.0, token)
    transcribe_options = _options(engines, options)
    return flows.read_call(
        Path(audio_path),
        engines=engines,
        date=date or dt.datetime.now(dt.UTC).date(),
        options=transcribe_options,
        progress=progress,
    )


def _options(engines: Engines, stored: dict[str, Any]) -> Any:
    participants = tuple(
        Participant(name=p["name"], side=Side(p.get("side", "unknown")), email=p.get("email"))
        for p in stored.get("participants") or []
    )
    return replace(
        engines.settings.transcribe.options(),
        speakers=stored.get("speakers"),
        rep_channel=stored.get("rep_channel") or engines.settings.transcribe.rep_channel,
        participants=participants,
    )


def _set_status(
    engine: Engine, call_id: int, status: CallStatus, progress: float, token: int | None = None
) -> None:
    with Session(engine) as session:
        crud.set_call_progress(session, call=_get(session, call_id, token), status=status, progress=progress)


def _fail(engine: Engine, call_id: int, reason: str, token: int | None = None) -> None:
    try:
        with Session(engine) as session:
            crud.fail_call(session, call=_get(session, call_id, token), error=reason)
    except LeaseLostError:
        log.warning("call %s: another worker took it over; not recording this failure", call_id)
