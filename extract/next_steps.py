"""Next steps: commitments to a concrete future action, with owner, due date and confirmation.

The trained head scores every utterance; rules then drop declined proposals and resolve the
owner ("I'll" = the speaker, "you" = the other side, "let's" = both, a named person = their side).
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray
from spacy.tokens import Doc

from extract import cues
from extract.features import UtteranceView
from extract.types import NextStep

_PROPOSAL = re.compile(
    r"\b(?:could we|can we|shall we|should we|how about|what about|what if we|why don't we|would you be open|"
    r"would it help to|does .{0,20} work|are you free|let'?s)\b",
    re.I,
)
_MEETING = re.compile(
    r"\b(?:call|meeting|session|sync|demo|deep dive|walk-?through|workshop|reconvene|regroup|meet|"
    r"get together|get everyone|on-?site|visit|come out|audit|invite|calendar|same time|at \d+|"
    r"at (?:one|two|three|four|five|ten|eleven|noon|nine))\b",
    re.I,
)
_AGREE = re.compile(r"\b(?:works|fine|good|great|perfect|sure|yes|yeah|yep|okay|ok|deal|done)\b", re.I)
_ACTION_SPLIT = re.compile(r"\s+(?:by|before|on|until|next|this|tomorrow|end of)\b.*$|[,.;!?].*$", re.I)


def extract_next_steps(
    views: list[UtteranceView],
    docs: list[Doc],
    proba: NDArray[np.float64],
    threshold: float,
    names: dict[str, str],
) -> tuple[NextStep, ...]:
    """Return the next steps whose calibrated probability passes `threshold`.

    Args:
        views: utterance views.
        docs: spaCy docs (carry `doc._.due` and people).
        proba: P(next step) per utterance.
        threshold: decision threshold from the manifest.
        names: speaker label -> display name (participants; "Speaker 2" stays as is).
    """
    out: list[NextStep] = []
    for i in range(len(views)):
        if proba[i] < threshold:
            continue
        j = proposal_of(views, docs, i)
        if (out and out[-1].utterance == j) or (j == i and _declined(views, i)):
            continue
        v = views[j]
        owner, side = resolve_owner(v, docs[j], views)
        out.append(
            NextStep(
                utterance=j,
                text=v.text,
                action=action_phrase(v.clean),
                owner=names.get(owner, owner) if owner else None,
                owner_side=side,
                due=docs[j]._.due or docs[i]._.due,
                confirmed=j != i or _confirmed(views, i),
                confidence=round(float(max(proba[i], proba[j])), 3),
            )
        )
    return tuple(out)


def proposal_of(views: list[UtteranceView], docs: list[Doc], i: int) -> int:
    """Point an acceptance ("yeah Monday at ten works") back at the proposal it accepts."""
    if i == 0 or views[i - 1].speaker == views[i].speaker:
        return i
    prev, opening = views[i - 1], " ".join(views[i].clean.split()[:8])
    proposal = _PROPOSAL.search(prev.clean) and (docs[i - 1]._.due is not None or _MEETING.search(prev.clean))
    return i - 1 if proposal and _AGREE.search(opening) else i


def _reply(views: list[UtteranceView], i: int) -> UtteranceView | None:
    return next((w for w in views[i + 1 : i + 3] if w.speaker != views[i].speaker), None)


def _declined(views: list[UtteranceView], i: int) -> bool:
    """A proposal or request the other side turns down ("Monday's out")."""
    reply = _reply(views, i)
    if reply is None:
        return False
    opening = " ".join(reply.clean.split()[:8])
    return bool(cues.DECLINE.search(opening)) and not cues.ACCEPT.match(opening)


def _confirmed(views: list[UtteranceView], i: int) -> bool:
    v = views[i]
    reply = _reply(views, i)
    firm = bool(cues.SELF_COMMIT.search(v.clean) or cues.WE_COMMIT.search(v.clean)) and "?" not in v.text
    accepted = reply is not None and bool(cues.ACCEPT.search(" ".join(reply.clean.split()[:6])))
    return firm or accepted


def resolve_owner(v: UtteranceView, doc: Doc, views: list[UtteranceView]) -> tuple[str | None, str]:
    """Return (owner label or name, owner side) from the earliest ownership cue in the text."""
    text = v.clean
    if _MEETING.search(text) and (_PROPOSAL.search(text) or cues.LETS.search(text)):
        return None, "both"  # a joint meeting proposed to the other side
    other = _other_side(v.side)
    found: list[tuple[int, str | None, str]] = []
    for rx, owner, side in (
        (cues.LETS, None, "both"),
        (cues.SELF_COMMIT, v.speaker, v.side),
        (cues.WE_COMMIT, None, v.side),
        (cues.YOU_ASK, _other_speaker(views, v), other),
    ):
        m = rx.search(text)
        if m:
            found.append((m.start(), owner, side))
    for person in doc.spans["people"]:
        after = doc[person.end : person.end + 3].text.lower()
        if re.match(r"(?:will|'ll|is going to|can|has to|needs to)\b", after):
            found.append((person.start_char, person.text, _person_side(person.text, v, views)))
    if not found:
        return v.speaker, v.side
    _, owner, side = min(found, key=lambda f: f[0])
    return owner, side if side in ("rep", "buyer", "both") else "unknown"


def _other_side(side: str) -> str:
    return {"rep": "buyer", "buyer": "rep"}.get(side, "unknown")


def _other_speaker(views: list[UtteranceView], v: UtteranceView) -> str | None:
    near = views[max(0, v.index - 2) : v.index + 3]
    return next((w.speaker for w in near if w.speaker != v.speaker), None)


def _person_side(name: str, v: UtteranceView, views: list[UtteranceView]) -> str:
    first = name.split()[0].lower()
    for w in views:
        if w.speaker.lower().split()[0] == first:
            return w.side
    return "buyer" if v.side in ("buyer", "rep") else "unknown"  # a named third party is the buyer's


def action_phrase(text: str) -> str:
    """Return the action words after the commitment cue ("send the MSA redlines")."""
    cue = None
    for rx in (cues.SELF_COMMIT, cues.WE_COMMIT, cues.LETS, cues.YOU_ASK):
        m = rx.search(text)
        if m and (cue is None or m.start() < cue.start()):
            cue = m
    rest = text[cue.end() :] if cue else text
    rest = re.sub(
        r"^\s*(?:just|also|go ahead and|quickly|then|be able to|try to|make sure to)\s+", "", rest, flags=re.I
    )
    rest = _ACTION_SPLIT.sub("", rest).strip()
    return rest or text
