"""Infer the side (rep or buyer) of speakers whose side is `unknown`.

Raw diarized calls label speakers "Speaker 1"; the rep is the one who introduces the
product or company, pitches, and asks discovery questions; the buyer talks about "our
team", budgets and current tools.
"""

from __future__ import annotations

import re
from collections import defaultdict

from spacy.lang.en.lex_attrs import like_num

from transcribe.types import Side, Transcript

_REP_CUES = re.compile(
    r"\b(?:our (?:platform|product|solution|tool|customers|pricing|plugin|team can|roadmap|implementation)|"
    r"we (?:offer|provide|support|integrate|built|shipped|help|can set you up)|"
    r"thanks for (?:making|taking) (?:the )?time|"
    r"(?:let me|i can|i'll) (?:show|walk you|demo|share my screen)|"
    r"how (?:are you|do you|does your (?:team|company))|tell me (?:about|more)|what(?:'s| is) your|"
    r"do you (?:currently|have|use)|your (?:team|current|process|budget|timeline)|"
    r"(?:i'm|this is) \w+ (?:from|with)|(?:list|annual) price|discount|our contract|"
    r"send (?:you|over) (?:the|a))\b",
    re.IGNORECASE,
)
_BUYER_CUES = re.compile(
    r"\b(?:we (?:currently|use|run|already|have|need|budgeted|are evaluating|'re evaluating)|"
    r"our (?:cfo|cto|ceo|budget|current|vendor|legal|procurement|security|"
    r"it team|team uses|stack|contract with)|"
    r"your (?:pricing|product|platform|tool|price|quote|proposal|contract|solution|demo)|"
    r"does (?:it|your)|can (?:it|your)|how much|too expensive|sign off|my boss)\b",
    re.IGNORECASE,
)


def speaker_sides(transcript: Transcript) -> dict[str, str]:
    """Return every speaker's side, inferring `unknown` ones from what they say.

    Args:
        transcript: the call.

    Returns:
        speaker label -> "rep" | "buyer" | "unknown".
    """
    sides = {p.name: str(p.side) for p in transcript.participants}
    for u in transcript.utterances:
        sides.setdefault(u.speaker, str(Side.UNKNOWN))
    unknown = [s for s, side in sides.items() if side == Side.UNKNOWN]
    if not unknown:
        return sides
    scores = _cue_scores(transcript)
    known_reps = [s for s, side in sides.items() if side == Side.REP]
    known_buyers = [s for s, side in sides.items() if side == Side.BUYER]
    if not known_reps and not _looks_like_sales(scores):
        return sides  # a meeting with no sales sides (e.g. AMI): leave unknown
    ranked = sorted(unknown, key=lambda s: (-scores[s], s))
    top = scores[ranked[0]]
    for speaker in ranked:
        first_rep = not known_reps and speaker == ranked[0]
        second_rep = scores[speaker] >= 2.0 and scores[speaker] >= 0.5 * top
        second_rep |= bool(known_reps) and _same_company(transcript, speaker, known_reps)
        sides[speaker] = str(Side.REP) if first_rep or second_rep else str(Side.BUYER)
        known_reps += [speaker] if sides[speaker] == Side.REP else []
    if not known_buyers and all(side == Side.REP for side in sides.values()):
        sides[ranked[-1]] = str(Side.BUYER)
    return sides


_FROM = re.compile(r"\b(?:from|with|at|here at|over at|on the|for)\s+([a-z][\w.-]{2,})\b", re.I)
_BROUGHT = re.compile(
    r"\b(?:i've (?:also )?got|i (?:also )?have|i've (?:also )?brought|brought|joined by|with me is)"
    r"\s+([a-z]{3,})\b",
    re.I,
)
_NOT_COMPANY = {
    "the",
    "my",
    "our",
    "your",
    "this",
    "that",
    "home",
    "least",
    "all",
    "some",
    "first",
    "work",
    "a",
    "me",
    "you",
    "us",
    "them",
    "anyone",
    "everyone",
    "now",
    "today",
    "sure",
    "example",
    "instance",
    "it",
    "what",
}


def _same_company(transcript: Transcript, speaker: str, reps: list[str]) -> bool:
    """A speaker who says they are from the rep's company ("i'm nina, proposals at civicly")."""
    early = transcript.utterances[:15]
    companies = {
        m.group(1).lower()
        for u in early
        if u.speaker in reps
        for m in _FROM.finditer(u.text)
        if m.group(1).lower() not in _NOT_COMPANY
    }
    said = [m.group(1).lower() for u in early if u.speaker == speaker for m in _FROM.finditer(u.text)]
    # "for four thousand agents" and "at fourteen fifty" name a number, not a company
    if any(c in companies for c in said if c not in _NOT_COMPANY and not _number(c)):
        return True
    brought = {m.group(1).lower() for u in early if u.speaker in reps for m in _BROUGHT.finditer(u.text)}
    own = " ".join(u.text.lower() for u in early if u.speaker == speaker)
    return any(
        re.search(rf"\b(?:i'm|i am|this is)\s+{re.escape(n)}\b|\b{re.escape(n)} (?:here|from)\b", own)
        for n in brought
    )


def _number(word: str) -> bool:
    """True for a number said as a word or digits ("four", "fourteen", "50")."""
    return bool(like_num(word))  # type: ignore[no-untyped-call]


def _cue_scores(transcript: Transcript) -> dict[str, float]:
    """Score each speaker: positive leans rep, negative leans buyer."""
    rep: dict[str, int] = defaultdict(int)
    buyer: dict[str, int] = defaultdict(int)
    words: dict[str, int] = defaultdict(int)
    for u in transcript.utterances:
        rep[u.speaker] += len(_REP_CUES.findall(u.text))
        buyer[u.speaker] += len(_BUYER_CUES.findall(u.text))
        words[u.speaker] += len(u.text.split())
    return {s: (rep[s] - buyer[s]) / max(1.0, (words[s] / 200.0) ** 0.5) for s in words}


def _looks_like_sales(scores: dict[str, float]) -> bool:
    return bool(scores) and max(scores.values()) >= 2.0
