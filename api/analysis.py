"""What the command line does for one file: read, transcribe, analyze, write."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from api import flows
from api.config import Settings
from api.engines import engines_for
from extract.types import Insights
from transcribe.errors import TranscribeError
from transcribe.json_format import transcript_to_json
from transcribe.types import Transcript


def analyze_file(path: Path, *, settings: Settings, date: dt.date | None, framework: str | None) -> Insights:
    """Read (or transcribe) one call and extract its insights."""
    engines = engines_for(settings)
    transcript = flows.read_call(path, engines=engines, date=date, options=settings.transcribe.options())
    return flows.analyze(transcript, engines=engines, framework=framework)


def transcribe_file(
    path: Path,
    *,
    settings: Settings,
    date: dt.date | None,
    speakers: int | None,
    rep_channel: str | None,
    participants: list[str],
    show_progress: bool,
) -> Transcript:
    """Transcribe a recording with the given per-call options."""
    if rep_channel not in (None, "left", "right"):
        raise TranscribeError(f"--rep-channel must be left or right, got {rep_channel!r}")
    options = replace(
        settings.transcribe.options(),
        speakers=speakers,
        rep_channel=rep_channel or settings.transcribe.rep_channel,
        participants=flows.parse_participants(participants),
    )
    engines = engines_for(settings)
    if flows.is_transcript(path.read_bytes()[:4096], path.name):
        raise TranscribeError(f"{path.name} is a transcript, not audio: use `dealsignal analyze`")
    with _progress_bar(show_progress) as progress:
        return engines.transcriber().transcribe(
            path, date=date or dt.datetime.now(dt.UTC).date(), options=options, progress=progress
        )


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[flows.ProgressFn | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("transcribing"),
        BarColumn(),
        TextColumn("{task.fields[done]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True, console=None) as bar:
        task = bar.add_task("transcribe", total=1.0, done="")

        def report(done_s: float, total_s: float) -> None:
            bar.update(
                task, completed=done_s, total=max(total_s, 1e-9), done=f"{done_s:.0f}/{total_s:.0f} s audio"
            )

        yield report


def write_transcript(transcript: Transcript, output: Path | None) -> None:
    """Write the transcript JSON to a file atomically, or to standard output."""
    text = json.dumps(transcript_to_json(transcript), indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    write_atomically(output, text)


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def migrate_database(settings: Settings) -> str:
    """Bring the configured database to the latest schema; return its URL (password hidden)."""
    from sqlalchemy.engine import make_url

    from models.db import make_engine, migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def train_heads(corpus: Path, out: Path | None, meetings: Path | None = None) -> str:
    """Train the classifier heads (and the meeting head, given meeting calls); describe them."""
    from extract.training import train

    heads_dir = out if out is not None else _default_heads_dir()
    report = str(train(corpus, heads_dir))
    if meetings is not None:
        from extract.meetings import train_meetings

        report += f"\nmeeting head: {train_meetings(meetings, heads_dir)}"
    return report


def _default_heads_dir() -> Path:
    import extract

    return Path(extract.__file__).parent / "heads"


def review_team(settings: Settings, *, team: str, week: str | None) -> dict[str, Any]:
    """Build a manager's weekly pipeline review from the configured database."""
    from sqlmodel import Session

    from api.inspection import pipeline_review
    from models import crud
    from models.db import make_engine
    from models.enums import Role
    from signals.errors import SignalsError

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            manager = crud.get_user_by_email(session, email=team)
            if manager is None or manager.role is not Role.MANAGER:
                raise TranscribeError(f"--team: no manager {team!r}")
            now = dt.datetime.now(dt.UTC)
            year, number, _ = now.date().isocalendar()
            try:
                return pipeline_review(
                    session, manager=manager, week=week or f"{year}-W{number:02d}", now=now
                )
            except (SignalsError, ValueError) as exc:
                raise TranscribeError(f"--week: {exc}") from exc
    finally:
        engine.dispose()


def rescore_all(settings: Settings) -> str:
    """Re-score every deal in the configured database and describe the run."""
    from sqlmodel import Session

    from api.flows import rescore_pipeline
    from models.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            report = rescore_pipeline(session)
    finally:
        engine.dispose()
    return f"re-scored {report.deals} deals ({report.changed} changed) in {report.seconds:.1f} s"
