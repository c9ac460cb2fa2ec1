"""Stakeholders: buyer-side people, merged per person, with title, role and decision power.

People come from buyer participants (on the call) and from PERSON mentions with a part in the
deal (a title, an authority cue, or repeated mentions). "Sarah", "Sarah Chen" and "our CFO"
(once Sarah is known as the CFO) are one person. Rep-side people and people with no part
("on parental leave", "used to run it") are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc

from extract.features import UtteranceView
from extract.roles import DECIDING, role_for
from extract.types import Stakeholder

_GENERIC = re.compile(r"^speaker\s*\d+$|^spk_?\d+$|^unknown", re.I)
_SELF = re.compile(r"\b(?:i|i'm|i am|me|my)\b", re.I)


@dataclass(slots=True)
class _Person:
    name: str
    on_call: bool = False
    title: str | None = None
    cues: list[str] = field(default_factory=list)
    utterances: set[int] = field(default_factory=set)
    buyer_mentions: int = 0
    excluded: bool = False


def extract_stakeholders(
    views: list[UtteranceView], docs: list[Doc], sides: dict[str, str]
) -> tuple[Stakeholder, ...]:
    """Return buyer-side stakeholders in order of first appearance."""
    people: dict[str, _Person] = {}
    reps = {n.lower() for n, s in sides.items() if s == "rep"}
    for speaker, side in sides.items():
        if side == "buyer" and not _GENERIC.match(speaker):
            people[speaker] = _Person(name=speaker, on_call=True)
    for v, doc in zip(views, docs, strict=True):
        _collect(v, doc, people, reps)
    return tuple(_finish(p) for p in _merge(people) if _keep(p))


def _collect(v: UtteranceView, doc: Doc, people: dict[str, _Person], reps: set[str]) -> None:
    cue_labels = [s.label_ for s in doc.spans["authority"]]
    mentioned = [p for p in doc.spans["people"] if not _is_rep(p.text, reps)]
    if v.speaker in people:
        me = people[v.speaker]
        me.utterances.add(v.index)
        if cue_labels and not mentioned and _SELF.search(v.clean):
            me.cues += cue_labels
    for span in mentioned:
        person = people.setdefault(_key(span.text, people), _Person(name=span.text))
        if len(span.text) > len(person.name) and _same(span.text, person.name):
            person.name = span.text
        person.utterances.add(v.index)
        person.buyer_mentions += v.side != "rep"
        person.title = person.title or span._.title
        person.excluded |= "none" in cue_labels and len(mentioned) == 1
        if len(mentioned) == 1 or span._.title:
            person.cues += [c for c in cue_labels if c != "none"]


def _is_rep(name: str, reps: set[str]) -> bool:
    tokens = set(name.lower().split())
    return any(tokens <= set(r.split()) for r in reps)


def _same(a: str, b: str) -> bool:
    ta, tb = set(a.lower().split()), set(b.lower().split())
    return bool(ta and tb) and (ta <= tb or tb <= ta)


def _key(name: str, people: dict[str, _Person]) -> str:
    for key, person in people.items():
        if _same(name, person.name):
            return key
    return name


def _merge(people: dict[str, _Person]) -> list[_Person]:
    """Merge entries that name the same person (a first name and a full name)."""
    merged: list[_Person] = []
    for person in sorted(people.values(), key=lambda p: (min(p.utterances, default=10**9), p.name)):
        twin = next((m for m in merged if _same(m.name, person.name)), None)
        if twin is None:
            merged.append(person)
            continue
        twin.name = max((twin.name, person.name), key=len) if not twin.on_call else twin.name
        twin.on_call |= person.on_call
        twin.title = twin.title or person.title
        twin.cues += person.cues
        twin.utterances |= person.utterances
        twin.buyer_mentions += person.buyer_mentions
        twin.excluded &= person.excluded
    return merged


def _keep(p: _Person) -> bool:
    if p.on_call:
        return True
    if p.excluded:
        return False
    return (
        bool(p.title or p.cues) and p.buyer_mentions > 0 or p.buyer_mentions >= 2 and len(p.utterances) >= 3
    )


def _finish(p: _Person) -> Stakeholder:
    role = role_for(p.title, p.cues)
    evidence = bool(p.title) + bool(p.cues) + p.on_call
    return Stakeholder(
        name=p.name,
        title=p.title,
        role=role,
        decision_maker=role in DECIDING,
        on_call=p.on_call,
        utterances=tuple(sorted(p.utterances)),
        confidence=round(min(0.95, 0.55 + 0.15 * evidence), 3),
    )
