"""Talk metrics computed from utterance times: talk ratio, monologues, questions, patience.

Patience is the mean pause before a rep starts speaking right after a buyer; interactivity
is the number of speaker switches per minute of call.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from extract.types import CallMetrics, SpeakerMetrics
from transcribe.types import Transcript, Utterance

_QUESTION_START = re.compile(
    r"^(?:so |and |but |okay |um |uh )*(?:what|how|why|when|where|who|which|do|does|did|is|are|can|could|"
    r"would|will|have|has|should)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Tally:
    talk_s: float = 0.0
    words: int = 0
    questions: int = 0
    utterances: int = 0
    longest: float = 0.0
    pauses: list[float] | None = None


def utterance_end(u: Utterance, following: Utterance | None) -> float:
    """Return the utterance's end, estimated from its words (2.5 words/s) when absent."""
    if u.end is not None:
        return max(u.end, u.start)
    guess = u.start + len(u.text.split()) / 2.5
    return min(guess, following.start) if following is not None else guess


def count_questions(text: str) -> int:
    """Count questions: '?' marks, or a question-word opening in unpunctuated ASR text."""
    marks = text.count("?")
    if marks or any(p in text for p in ".!"):
        return marks
    return int(bool(_QUESTION_START.match(text.strip())))


def speaker_metrics(transcript: Transcript, sides: dict[str, str]) -> tuple[SpeakerMetrics, ...]:
    """Compute per-speaker metrics in order of first appearance."""
    tallies: dict[str, _Tally] = {}
    utts = transcript.utterances
    run_speaker, run_start, run_end = None, 0.0, 0.0
    for i, u in enumerate(utts):
        nxt = utts[i + 1] if i + 1 < len(utts) else None
        end = utterance_end(u, nxt)
        t = tallies.setdefault(u.speaker, _Tally(pauses=[]))
        t.talk_s += end - u.start
        t.words += len(u.text.split())
        t.questions += count_questions(u.text)
        t.utterances += 1
        if u.speaker != run_speaker:
            run_speaker, run_start = u.speaker, u.start
        run_end = end
        t.longest = max(t.longest, run_end - run_start)
    for name, pauses in rep_pauses(transcript, sides).items():
        tallies[name].pauses = pauses
    total = sum(t.talk_s for t in tallies.values()) or 1.0
    return tuple(_speaker(name, sides.get(name, "unknown"), t, total) for name, t in tallies.items())


def _speaker(name: str, side: str, t: _Tally, total: float) -> SpeakerMetrics:
    pauses = t.pauses or []
    return SpeakerMetrics(
        name=name,
        side=side,
        talk_ratio=round(t.talk_s / total, 4),
        talk_s=round(t.talk_s, 2),
        longest_monologue_s=round(t.longest, 2),
        questions=t.questions,
        words_per_minute=round(60.0 * t.words / t.talk_s, 1) if t.talk_s > 0 else None,
        patience_s=round(sum(pauses) / len(pauses), 3) if pauses else None,
        utterances=t.utterances,
    )


def rep_pauses(transcript: Transcript, sides: dict[str, str]) -> dict[str, list[float]]:
    """Return, per rep, the pauses (s) before they spoke right after a buyer."""
    out: dict[str, list[float]] = defaultdict(list)
    utts = transcript.utterances
    for prev, u in zip(utts, utts[1:], strict=False):
        if sides.get(u.speaker) == "rep" and sides.get(prev.speaker) == "buyer":
            out[u.speaker].append(max(0.0, u.start - utterance_end(prev, u)))
    return out


def call_metrics(
    transcript: Transcript, speakers: tuple[SpeakerMetrics, ...], sides: dict[str, str]
) -> CallMetrics:
    """Compute call-level interactivity, side talk ratios and patience."""
    utts = transcript.utterances
    switches = sum(1 for a, b in zip(utts, utts[1:], strict=False) if a.speaker != b.speaker)
    minutes = max(transcript.end_s - (utts[0].start if utts else 0.0), 1e-9) / 60.0
    by_side: dict[str, float] = defaultdict(float)
    for s in speakers:
        by_side[s.side] += s.talk_ratio
    pauses = [p for ps in rep_pauses(transcript, sides).values() for p in ps]
    return CallMetrics(
        interactivity=round(switches / minutes, 3) if utts else 0.0,
        rep_talk_ratio=round(by_side["rep"], 4) if "rep" in by_side else None,
        buyer_talk_ratio=round(by_side["buyer"], 4) if "buyer" in by_side else None,
        patience_s=round(sum(pauses) / len(pauses), 3) if pauses else None,
    )
