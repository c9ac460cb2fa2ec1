"""Read transcripts in the accepted text formats into a `Transcript`.

Formats: the JSON exchange format (contracts/call-transcript.md), WebVTT with `<v Speaker>`
voice tags, SRT, and plain `Speaker: text` lines (optionally `[hh:mm:ss] Speaker: text`).
Every problem raises `TranscriptFormatError` naming the field and position; nothing is
returned half-read.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path

from transcribe.errors import TranscriptFormatError
from transcribe.json_format import transcript_from_json
from transcribe.text_formats import parse_plain_text, parse_srt, parse_vtt
from transcribe.types import Participant, Transcript

__all__ = ["TranscriptKind", "detect_transcript_kind", "load_transcript", "parse_transcript"]


class TranscriptKind(StrEnum):
    JSON = "json"
    VTT = "vtt"
    SRT = "srt"
    TEXT = "text"


_BY_SUFFIX = {
    ".json": TranscriptKind.JSON,
    ".vtt": TranscriptKind.VTT,
    ".srt": TranscriptKind.SRT,
    ".txt": TranscriptKind.TEXT,
    ".text": TranscriptKind.TEXT,
}


def detect_transcript_kind(text: str, filename: str | None = None) -> TranscriptKind | None:
    """Return the transcript format of `text`, from its content first and its name second."""
    head = text.lstrip("\ufeff \t\r\n")[:200]
    if head.startswith("{"):
        return TranscriptKind.JSON
    if head.startswith("WEBVTT"):
        return TranscriptKind.VTT
    lines = head.splitlines()
    if len(lines) >= 2 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return TranscriptKind.SRT
    suffix = Path(filename).suffix.lower() if filename else ""
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    return None


def parse_transcript(
    data: bytes,
    *,
    filename: str | None = None,
    date: dt.date | None = None,
    participants: tuple[Participant, ...] = (),
) -> Transcript:
    """Parse transcript bytes in any accepted format.

    Args:
        data: the file's bytes (UTF-8).
        filename: used to name the file in errors and as a format hint.
        date: the call's date; overrides the JSON `date` and is required by formats without one
            (today's date is used when it is absent there).
        participants: known participants (name and side) for formats that carry only labels.

    Returns:
        The validated transcript.
    """
    name = filename or "transcript"
    if not data.strip():
        raise TranscriptFormatError("", f"{name} is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptFormatError("", f"{name} is not UTF-8 text (byte {exc.start})") from exc
    kind = detect_transcript_kind(text, filename)
    if kind is None:
        raise TranscriptFormatError(
            "", f"{name}: unknown transcript format (expected JSON, WebVTT, SRT or 'Speaker: text' lines)"
        )
    if kind is TranscriptKind.JSON:
        return _parse_json(text, name, date)
    parser = {TranscriptKind.VTT: parse_vtt, TranscriptKind.SRT: parse_srt}.get(kind, parse_plain_text)
    return parser(
        text,
        date=date or dt.datetime.now(dt.UTC).date(),
        participants=participants,
        call_id=Path(name).stem if filename else None,
    )


def load_transcript(path: Path, *, date: dt.date | None = None) -> Transcript:
    """Read and parse a transcript file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptFormatError("", f"cannot read {path}: {exc.strerror}") from exc
    return parse_transcript(data, filename=path.name, date=date)


def _parse_json(text: str, name: str, date: dt.date | None) -> Transcript:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptFormatError(
            f"line {exc.lineno} column {exc.colno}", f"{name} is not valid JSON: {exc.msg}"
        ) from exc
    return transcript_from_json(document, date=date)
