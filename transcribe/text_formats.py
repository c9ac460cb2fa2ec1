"""Subtitle and plain-text transcripts: WebVTT, SRT and `Speaker: text` lines.

Each parser returns cues (speaker, start, end, text), and one builder merges a speaker's
consecutive cues into turns, fills in missing times from the word count, and checks the
speakers against the known participants.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from transcribe.errors import TranscriptFormatError
from transcribe.types import Participant, Side, Transcript, Utterance

__all__ = ["parse_plain_text", "parse_srt", "parse_vtt"]

# Speech runs at about 2.5 words a second; used only when a format gives no times.
_WORDS_PER_SECOND = 2.5
_TURN_GAP_S = 0.3
_TIMESTAMP = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_CUE_TIMING = re.compile(rf"^\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?=<v[\s.]|$)", re.S)
_TAG = re.compile(r"</?[^>]+>")
_SPEAKER_PREFIX = re.compile(
    r"^\s*(?:\[(?P<name1>[^\]]{1,60})\]|(?P<name2>[^:\[\]]{1,60}?):)(?:\s+|$)(?P<text>.*)$"
)
_TEXT_LINE = re.compile(rf"^\s*(?:\[(?P<ts>{_TIMESTAMP})\]\s*)?(?P<rest>.*)$")


@dataclass(frozen=True, slots=True)
class _Cue:
    speaker: str
    text: str
    start: float | None
    end: float | None
    line: int


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _split_speaker(text: str) -> tuple[str | None, str]:
    """Split a leading `Name:` or `[Name]` label off a line of text."""
    match = _SPEAKER_PREFIX.match(text)
    if match is None:
        return None, text.strip()
    name = (match.group("name1") or match.group("name2") or "").strip()
    # A label is a short name ("Dana Ruiz", "Speaker 1"), not the start of a sentence.
    if not name or len(name.split()) > 5:
        return None, text.strip()
    return name, match.group("text").strip()


def _subtitle_blocks(text: str) -> list[tuple[int, list[str]]]:
    """Split subtitle text into blocks of lines, each with its first line number (1-based)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _timed_block(block: list[str], first_line: int, kind: str) -> tuple[float, float, list[str]] | None:
    for offset, line in enumerate(block):
        timing = _CUE_TIMING.match(line)
        if timing:
            start, end = _seconds(timing.group(1)), _seconds(timing.group(2))
            if end < start:
                raise TranscriptFormatError(
                    f"line {first_line + offset}", f"{kind} cue ends before it starts"
                )
            return start, end, block[offset + 1 :]
    return None


def parse_vtt(
    text: str, *, date: dt.date, participants: tuple[Participant, ...], call_id: str | None
) -> Transcript:
    """Parse WebVTT, taking speakers from `<v Name>` voice tags (or a `Name:` prefix)."""
    cues: list[_Cue] = []
    for first_line, block in _subtitle_blocks(text):
        if block[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        timed = _timed_block(block, first_line, "WebVTT")
        if timed is None:
            raise TranscriptFormatError(f"line {first_line}", "WebVTT cue has no 'start --> end' timing line")
        start, end, lines = timed
        payload = " ".join(lines)
        voices = _VOICE.findall(payload)
        if not voices:
            voices = [(None, payload)]
        for voice, spoken in voices:
            speaker, words = (
                (voice.strip(), _TAG.sub("", spoken).strip())
                if voice
                else _split_speaker(_TAG.sub("", spoken))
            )
            if speaker is None:
                raise TranscriptFormatError(
                    f"line {first_line}", "cue has no speaker (<v Name> tag or 'Name:' prefix)"
                )
            cues.append(_Cue(speaker, words, start, end, first_line))
    return _build(cues, date=date, participants=participants, call_id=call_id, kind="WebVTT")


def parse_srt(
    text: str, *, date: dt.date, participants: tuple[Participant, ...], call_id: str | None
) -> Transcript:
    """Parse SRT; each cue names its speaker with a `Name:` or `[Name]` prefix."""
    cues: list[_Cue] = []
    previous: str | None = None
    for first_line, block in _subtitle_blocks(text):
        timed = _timed_block(block, first_line, "SRT")
        if timed is None:
            raise TranscriptFormatError(f"line {first_line}", "SRT cue has no 'start --> end' timing line")
        start, end, lines = timed
        speaker, words = _split_speaker(_TAG.sub("", " ".join(lines)))
        # A cue without a label continues the previous speaker, as subtitles split long turns.
        speaker = speaker or previous
        if speaker is None:
            raise TranscriptFormatError(
                f"line {first_line}", "the first SRT cue has no 'Name:' speaker label"
            )
        cues.append(_Cue(speaker, words, start, end, first_line))
        previous = speaker
    return _build(cues, date=date, participants=participants, call_id=call_id, kind="SRT")


def parse_plain_text(
    text: str, *, date: dt.date, participants: tuple[Participant, ...], call_id: str | None
) -> Transcript:
    """Parse `Speaker: text` lines, optionally prefixed with `[hh:mm:ss]`."""
    cues: list[_Cue] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _TEXT_LINE.match(line)
        assert match is not None  # the pattern matches any line
        stamp = match.group("ts")
        speaker, words = _split_speaker(match.group("rest"))
        if speaker is None:
            if not cues or stamp:
                raise TranscriptFormatError(f"line {number}", "expected 'Speaker: text'")
            last = cues[-1]  # an unlabelled line continues the previous turn
            cues[-1] = _Cue(last.speaker, f"{last.text} {words}".strip(), last.start, last.end, last.line)
            continue
        cues.append(_Cue(speaker, words, _seconds(stamp) if stamp else None, None, number))
    return _build(cues, date=date, participants=participants, call_id=call_id, kind="text")


def _build(
    cues: list[_Cue], *, date: dt.date, participants: tuple[Participant, ...], call_id: str | None, kind: str
) -> Transcript:
    if not cues:
        raise TranscriptFormatError("", f"the {kind} transcript has no utterances")
    known = {p.name for p in participants}
    for cue in cues:
        if known and cue.speaker not in known:
            raise TranscriptFormatError(f"line {cue.line}", f"speaker {cue.speaker!r} is not a participant")
    utterances = _timed_turns(_merge_turns(cues))
    if not participants:
        order = dict.fromkeys(u.speaker for u in utterances)
        participants = tuple(Participant(name=name, side=Side.UNKNOWN) for name in order)
    return Transcript(date=date, participants=participants, utterances=tuple(utterances), id=call_id)


def _merge_turns(cues: list[_Cue]) -> list[_Cue]:
    """Join a speaker's consecutive cues into one turn (subtitles split turns for display)."""
    turns: list[_Cue] = []
    for cue in cues:
        if turns and turns[-1].speaker == cue.speaker and (cue.start is None or turns[-1].end is not None):
            last = turns[-1]
            turns[-1] = _Cue(last.speaker, f"{last.text} {cue.text}".strip(), last.start, cue.end, last.line)
        else:
            turns.append(cue)
    return turns


def _timed_turns(turns: list[_Cue]) -> list[Utterance]:
    utterances: list[Utterance] = []
    clock = 0.0
    for turn in turns:
        start = turn.start if turn.start is not None else clock
        if utterances and start < utterances[-1].start:
            raise TranscriptFormatError(
                f"line {turn.line}", f"time {start:.1f} s is before the previous turn's"
            )
        estimated = start + len(turn.text.split()) / _WORDS_PER_SECOND
        end = turn.end if turn.end is not None else estimated
        utterances.append(Utterance(speaker=turn.speaker, start=start, end=end, text=turn.text))
        clock = max(clock, end + _TURN_GAP_S if turn.end is None else end)
    return utterances
