"""Orchestration: a call's file becomes a transcript, the transcript becomes insights.

The only module that chains the stages (transcribe -> extract -> signals -> models).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from api.engines import Engines
from api.rescoring import plan_chunks, score_chunk, score_in_processes, score_with_freshness, worker_count
from extract.types import Insights
from models import crud
from models.crud.bulk_state import deal_states
from models.crud.reviews import get_setting
from models.crud.risks import apply_risk_writes, save_deal_risks
from models.tables import Deal
from signals.config import RiskConfig
from transcribe.errors import TranscriptFormatError
from transcribe.importers import detect_transcript_kind, parse_transcript
from transcribe.types import Participant, Side, TranscribeOptions, Transcript

AUDIO_SUFFIXES = frozenset(
    {
        ".wav",
        ".flac",
        ".mp3",
        ".m4a",
        ".aac",
        ".mp4",
        ".ogg",
        ".oga",
        ".opus",
        ".webm",
        ".amr",
        ".3gp",
        ".wma",
    }
)
TRANSCRIPT_SUFFIXES = frozenset({".json", ".vtt", ".srt", ".txt", ".text"})

ProgressFn = Callable[[float, float], None]


def is_transcript(data_head: bytes, filename: str) -> bool:
    """Tell a transcript from audio by its first bytes and, failing that, by its name."""
    suffix = Path(filename).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return False
    try:
        text = data_head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return detect_transcript_kind(text, filename) is not None or suffix in TRANSCRIPT_SUFFIXES


def read_call(
    path: Path,
    *,
    engines: Engines,
    date: dt.date | None,
    options: TranscribeOptions | None = None,
    progress: ProgressFn | None = None,
    display_name: str | None = None,
) -> Transcript:
    """Read a call from a file: parse a transcript, or transcribe a recording.

    Args:
        path: the file (its bytes decide its type; the name only breaks ties).
        engines: the process's models.
        date: the call's date; for audio, today when absent.
        options: per-call transcription options (rep channel, speakers, participants).
        progress: called with (audio seconds done, total) while transcribing.
        display_name: the name to use in errors (an upload's original file name).

    Returns:
        The call's transcript.
    """
    name = display_name or path.name
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        raise TranscriptFormatError("", f"{name} is empty")
    if is_transcript(head, name):
        participants = options.participants if options else ()
        return parse_transcript(path.read_bytes(), filename=name, date=date, participants=participants)
    call_date = date or dt.datetime.now(dt.UTC).date()
    return engines.transcriber().transcribe(path, date=call_date, options=options, progress=progress)


def analyze(transcript: Transcript, *, engines: Engines, framework: str | None = None) -> Insights:
    """Extract the call's insights."""
    return engines.analyzer(framework).analyze(transcript)


def parse_participants(specs: list[str]) -> tuple[Participant, ...]:
    """Parse `Name=rep|buyer` specs given on the command line or with an upload."""
    participants = []
    for spec in specs:
        name, _, side = spec.rpartition("=")
        if not name or side not in {s.value for s in Side}:
            raise TranscriptFormatError("participants", f"{spec!r} is not 'Name=rep' or 'Name=buyer'")
        participants.append(Participant(name=name.strip(), side=Side(side)))
    return tuple(participants)


def risk_config(session: Session) -> RiskConfig:
    """Return the organisation's risk, stage and forecast settings (RevOps' edits over the defaults)."""
    stored = get_setting(session, key="risk")
    return RiskConfig.from_dict(stored) if stored else RiskConfig()


def org_framework(session: Session) -> str | None:
    """Return the methodology the organisation chose (None: the configured default)."""
    stored = get_setting(session, key="methodology") or {}
    framework = stored.get("framework")
    return str(framework) if framework else None


def quotas(session: Session) -> dict[str, dict[str, float]]:
    """Return quotas by team ("*" for the whole organisation, else a manager's email) and period."""
    stored = get_setting(session, key="quotas") or {}
    return {team: {period: float(v) for period, v in periods.items()} for team, periods in stored.items()}


def rescore_deal(session: Session, *, deal: Deal, config: RiskConfig | None = None) -> bool:
    """Re-evaluate a deal's risk from its current evidence; return whether the score changed."""
    state = crud.deal_state(session, deal=deal)
    now = dt.datetime.now(dt.UTC)
    risk, fresh = score_with_freshness(state, now=now, config=config or risk_config(session))
    return crud.set_deal_risk(session, deal=deal, risk=risk, fresh_until=fresh)


def rescore_deals(session: Session, *, deals: list[Deal], config: RiskConfig | None = None) -> int:
    """Re-score several deals with one state read per table and one commit; return how many changed."""
    unique = list({deal.id: deal for deal in deals}.values())
    if not unique:
        return 0
    config = config or risk_config(session)
    now = dt.datetime.now(dt.UTC)
    states = deal_states(session, deals=unique)
    scored = [
        (deal, *score_with_freshness(state, now=now, config=config))
        for deal, state in zip(unique, states, strict=True)
    ]
    changed = save_deal_risks(session, scored=scored)
    session.commit()
    return changed


@dataclass(frozen=True, slots=True)
class RescoreReport:
    deals: int
    changed: int
    seconds: float


# Deals per chunk (one read per evidence table, one commit). PostgreSQL plans a chunk's
# evidence reads as hash joins over whole tables, so fewer, larger chunks cost less: a forced
# re-score of 100,000 deals took 13.2 s in chunks of 1,000 and 9.6 s in chunks of 5,000.
RESCORE_BATCH = 5000


def rescore_pipeline(
    session: Session,
    *,
    config: RiskConfig | None = None,
    batch: int = RESCORE_BATCH,
    now: dt.datetime | None = None,
    due_only: bool = False,
    workers: int | None = None,
) -> RescoreReport:
    """Re-score every deal (`due_only`: those whose stored risk is stale at `now`), a chunk per commit.

    A full run is needed when the weights change; time alone moves risk only for deals whose
    `risk_fresh_until` has come (silence grows, next steps fall due), which `due_only` picks.
    Large runs read and score chunks in `workers` processes (default: one per core) while this
    one writes; `workers=1` keeps everything in this process.
    """
    started = time.perf_counter()
    config = config or risk_config(session)
    now = now or dt.datetime.now(dt.UTC)
    ids, planned = plan_chunks(session, batch=batch, now=now, due_only=due_only)
    processes = worker_count(session, len(planned), len(ids), workers)
    session.commit()  # end the read: each chunk reads afresh
    if processes > 1:
        results = score_in_processes(session, planned, config=config, workers=processes)
    else:
        results = (score_chunk(session, chunk, config) for chunk in planned)
    seen = changed = 0
    for count, writes in results:
        changed += apply_risk_writes(session, writes=writes)
        session.commit()
        seen += count
    return RescoreReport(deals=seen, changed=changed, seconds=round(time.perf_counter() - started, 3))
