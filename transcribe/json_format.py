"""The JSON transcript exchange format: validation on the way in, serialisation on the way out."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from transcribe.errors import TranscriptFormatError
from transcribe.types import Participant, Side, Transcript, Utterance, Word

__all__ = ["parse_call_date", "transcript_from_json", "transcript_to_json"]


def parse_call_date(value: object, location: str = "date") -> tuple[dt.date, dt.datetime | None]:
    """Parse `YYYY-MM-DD` or an ISO 8601 timestamp into (date, timestamp or None)."""
    if not isinstance(value, str) or not value.strip():
        raise TranscriptFormatError(location, "must be a date (YYYY-MM-DD) or an ISO 8601 timestamp")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text), None
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TranscriptFormatError(
            location, f"{value!r} is not a date (YYYY-MM-DD) or ISO timestamp"
        ) from exc
    return stamp.date(), stamp


def transcript_from_json(document: object, *, date: dt.date | None = None) -> Transcript:
    """Validate a decoded JSON document and build the transcript it describes."""
    if not isinstance(document, dict):
        raise TranscriptFormatError("", "the transcript must be a JSON object")
    if date is not None:
        call_date, started_at = date, None
    else:
        if "date" not in document:
            raise TranscriptFormatError("date", "is required")
        call_date, started_at = parse_call_date(document["date"])
    participants = _participants(document.get("participants"))
    utterances = _utterances(document.get("utterances"), {p.name for p in participants})
    return Transcript(
        date=call_date,
        started_at=started_at,
        participants=participants,
        utterances=utterances,
        id=_optional_str(document, "id"),
        title=_optional_str(document, "title"),
        language=_optional_str(document, "language") or "en",
        duration_s=_optional_number(document, "duration_s"),
    )


def _optional_str(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise TranscriptFormatError(key, "must be a string")
    return str(value)


def _optional_number(document: dict[str, Any], key: str) -> float | None:
    value = document.get(key)
    if value is None:
        return None
    return _number(value, key)


def _number(value: object, location: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TranscriptFormatError(location, f"must be a number of seconds, got {value!r}")
    if value < 0:
        raise TranscriptFormatError(location, f"must not be negative, got {value!r}")
    return float(value)


def _participants(value: object) -> tuple[Participant, ...]:
    if not isinstance(value, list) or not value:
        raise TranscriptFormatError("participants", "must be a non-empty list")
    seen: set[str] = set()
    participants: list[Participant] = []
    for i, item in enumerate(value):
        where = f"participants[{i}]"
        if not isinstance(item, dict):
            raise TranscriptFormatError(where, "must be an object with name and side")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise TranscriptFormatError(f"{where}.name", "is required")
        if name in seen:
            raise TranscriptFormatError(f"{where}.name", f"{name!r} appears twice")
        seen.add(name)
        side = item.get("side")
        if side not in {s.value for s in Side}:
            raise TranscriptFormatError(f"{where}.side", f"must be rep, buyer or unknown, got {side!r}")
        email = item.get("email")
        if email is not None and (not isinstance(email, str) or "@" not in email):
            raise TranscriptFormatError(f"{where}.email", f"{email!r} is not an email address")
        participants.append(Participant(name=name, side=Side(side), email=email))
    return tuple(participants)


def _utterances(value: object, names: set[str]) -> tuple[Utterance, ...]:
    if not isinstance(value, list):
        raise TranscriptFormatError("utterances", "must be a list")
    utterances: list[Utterance] = []
    previous_start = 0.0
    for i, item in enumerate(value):
        where = f"utterances[{i}]"
        if not isinstance(item, dict):
            raise TranscriptFormatError(where, "must be an object with speaker, start and text")
        speaker = item.get("speaker")
        if not isinstance(speaker, str):
            raise TranscriptFormatError(f"{where}.speaker", "is required")
        if speaker not in names:
            raise TranscriptFormatError(f"{where}.speaker", f"{speaker!r} is not a participant")
        if "start" not in item:
            raise TranscriptFormatError(f"{where}.start", "is required")
        start = _number(item["start"], f"{where}.start")
        if start < previous_start:
            raise TranscriptFormatError(
                f"{where}.start", f"{start} is before the previous start {previous_start}"
            )
        end = None if item.get("end") is None else _number(item["end"], f"{where}.end")
        if end is not None and end < start:
            raise TranscriptFormatError(f"{where}.end", f"{end} is before its start {start}")
        text = item.get("text")
        if not isinstance(text, str):
            raise TranscriptFormatError(f"{where}.text", "is required")
        words = _words(item.get("words"), where)
        utterances.append(Utterance(speaker=speaker, start=start, end=end, text=text, words=words))
        previous_start = start
    return tuple(utterances)


def _words(value: object, where: str) -> tuple[Word, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TranscriptFormatError(f"{where}.words", "must be a list")
    words: list[Word] = []
    for j, item in enumerate(value):
        spot = f"{where}.words[{j}]"
        if not isinstance(item, dict) or not isinstance(item.get("text", item.get("word")), str):
            raise TranscriptFormatError(spot, "must be an object with start, end and text")
        words.append(
            Word(
                start=_number(item.get("start"), f"{spot}.start"),
                end=_number(item.get("end"), f"{spot}.end"),
                text=str(item.get("text", item.get("word"))),
                probability=float(item.get("probability", 1.0)),
            )
        )
    return tuple(words)


def transcript_to_json(transcript: Transcript, *, include_words: bool = True) -> dict[str, Any]:
    """Serialise a transcript in the exchange format (what `dealsignal transcribe` writes)."""
    document: dict[str, Any] = {
        "id": transcript.id,
        "title": transcript.title,
        "date": (transcript.started_at or transcript.date).isoformat(),
        "language": transcript.language,
        "duration_s": transcript.duration_s,
        "participants": [
            {"name": p.name, "side": p.side.value, **({"email": p.email} if p.email else {})}
            for p in transcript.participants
        ],
        "utterances": [_utterance_json(u, include_words) for u in transcript.utterances],
    }
    return {k: v for k, v in document.items() if v is not None}


def _utterance_json(utterance: Utterance, include_words: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"speaker": utterance.speaker, "start": round(utterance.start, 3)}
    if utterance.end is not None:
        item["end"] = round(utterance.end, 3)
    item["text"] = utterance.text
    if include_words and utterance.words:
        item["words"] = [
            {
                "start": round(w.start, 3),
                "end": round(w.end, 3),
                "text": w.text,
                "probability": round(w.probability, 3),
            }
            for w in utterance.words
        ]
    return item
