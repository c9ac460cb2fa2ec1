"""transcribe: call files become `Transcript`s (audio via faster-whisper, or imported transcripts).

`WhisperEngine` is imported on first use, so reading transcripts never loads the speech stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transcribe.errors import (
    AudioDecodeError,
    AudioError,
    AudioTooLongError,
    TranscribeError,
    TranscriptFormatError,
)
from transcribe.importers import detect_transcript_kind, load_transcript, parse_transcript
from transcribe.json_format import parse_call_date, transcript_from_json, transcript_to_json
from transcribe.types import Participant, Side, TranscribeOptions, Transcript, Utterance, Word

if TYPE_CHECKING:
    from transcribe.engine import WhisperEngine

__all__ = [
    "AudioDecodeError",
    "AudioError",
    "AudioTooLongError",
    "Participant",
    "Side",
    "TranscribeError",
    "TranscribeOptions",
    "Transcript",
    "TranscriptFormatError",
    "Utterance",
    "WhisperEngine",
    "Word",
    "detect_transcript_kind",
    "load_transcript",
    "parse_call_date",
    "parse_transcript",
    "transcript_from_json",
    "transcript_to_json",
]


def __getattr__(name: str) -> Any:
    if name == "WhisperEngine":
        from transcribe.engine import WhisperEngine

        return WhisperEngine
    raise AttributeError(f"module 'transcribe' has no attribute {name!r}")
