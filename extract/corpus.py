"""Read transcript JSON files (contracts/call-transcript.md) into `Transcript` values.

Uses the official importer `transcribe.importers.load_transcript` when it exists; otherwise a
minimal reader that trusts the file (the corpus and AMI conversions are well formed).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from extract.errors import ExtractError
from transcribe.types import Participant, Side, Transcript, Utterance


def load_transcript(path: Path) -> Transcript:
    """Load one transcript JSON file, preferring the official importer."""
    try:
        from transcribe.importers import load_transcript as official
    except ImportError:
        return read_transcript(json.loads(path.read_text(encoding="utf-8")), path.stem)
    result: Transcript = official(path)
    return result


def read_transcript(data: dict[str, Any], fallback_id: str) -> Transcript:
    """Build a `Transcript` from the parsed JSON object of one call."""
    try:
        date = dt.date.fromisoformat(str(data["date"])[:10])
        participants = tuple(
            Participant(name=p["name"], side=_side(p.get("side")), email=p.get("email"))
            for p in data["participants"]
        )
        utterances = tuple(
            Utterance(speaker=u["speaker"], start=float(u["start"]), text=u["text"], end=_float(u.get("end")))
            for u in data["utterances"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ExtractError(f"{fallback_id}: malformed transcript ({exc})") from exc
    return Transcript(
        date=date,
        participants=participants,
        utterances=utterances,
        id=data.get("id") or fallback_id,
        title=data.get("title"),
    )


def _side(value: object) -> Side:
    try:
        return Side(str(value or "unknown"))
    except ValueError:
        return Side.UNKNOWN


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))
