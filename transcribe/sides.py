"""Decide which speaker is the rep and which the buyer, and who each one is.

Evidence, strongest first:

1. a self-introduction naming a known participant ("this is Dana", "I'm Dana with Acme");
2. the rep channel of a stereo call (`rep_channel`);
3. the rep's company said in a self-introduction ("Dana from Acme"); the company comes from
   `options.rep_company` or, failing that, the domain of a rep participant's email;
4. when the participant list has as many people as there are speakers and nothing else places
   them, the order of first speech against the list's order.

In a two-party call, knowing one side gives the other. Anything not settled stays unknown and
keeps its "Speaker N" label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from transcribe.types import Participant, Side, TranscribeOptions, Utterance

# Only the first few turns of each speaker are searched: introductions come early, and later
# mentions ("we spoke with Acme last year") are more often about someone else.
_INTRO_TURNS = 3
_INTRO_CUE = r"(?:this is|it's|it is|i'm|i am|my name is|name's|here is)"
_OPENING_WORDS = 6
_THIRD_PARTY = frozenset({"we", "our", "us", "they", "their", "them"})
_GENERIC_DOMAINS = frozenset({"gmail", "googlemail", "outlook", "hotmail", "yahoo", "icloud", "proton"})


@dataclass(frozen=True, slots=True)
class Speakers:
    """Who the speakers turned out to be: final participants and label renames."""

    participants: tuple[Participant, ...]
    renames: Mapping[str, str]


def resolve_speakers(
    utterances: Sequence[Utterance],
    order: Sequence[str],
    options: TranscribeOptions,
    rep_speaker: str | None = None,
) -> Speakers:
    """Map speaker labels (in order of first speech) to participants and sides.

    Args:
        utterances: the call, in time order.
        order: speaker labels in order of first speech.
        options: `participants` and `rep_company` are read.
        rep_speaker: the label known to be the rep (stereo `rep_channel`), if any.

    Returns:
        Participants in `order`, with names from `options.participants` where identified.
    """
    given = list(options.participants)
    intros = _intro_texts(utterances, order)
    mapping = _match_names(intros, given)
    sides: dict[str, Side] = {
        label: person.side for label, person in mapping.items() if person.side != Side.UNKNOWN
    }
    if rep_speaker is not None:
        sides.setdefault(rep_speaker, Side.REP)
    company = options.rep_company or _company_from_email(given)
    if company:
        for label in _introduced_with(intros, company):
            sides.setdefault(label, Side.REP)
    _other_side(sides, order)
    _by_elimination(mapping, sides, order, given)
    for label, person in mapping.items():
        if person.side != Side.UNKNOWN:
            sides.setdefault(label, person.side)
    _other_side(sides, order)
    return _result(order, mapping, sides)


def _intro_texts(utterances: Sequence[Utterance], order: Sequence[str]) -> dict[str, str]:
    texts: dict[str, list[str]] = {label: [] for label in order}
    for utterance in utterances:
        turns = texts.setdefault(utterance.speaker, [])
        if len(turns) < _INTRO_TURNS:
            turns.append(utterance.text.lower())
    return {label: " ".join(turns) for label, turns in texts.items()}


def _match_names(intros: Mapping[str, str], given: Sequence[Participant]) -> dict[str, Participant]:
    mapping: dict[str, Participant] = {}
    for person in given:
        first = re.escape(person.name.split()[0].lower()) if person.name.split() else ""
        if not first:
            continue
        pattern = re.compile(rf"\b{_INTRO_CUE}\s+{first}\b(?!')")
        for label, text in intros.items():
            if label not in mapping and pattern.search(text):
                mapping[label] = person
                break
    return mapping


def _introduced_with(intros: Mapping[str, str], company: str) -> list[str]:
    """Speakers who say they are from `company`: with an introduction cue in their first turns,
    or anywhere in the opening words of their first turn ("Hi Tom, Dana from Acme"), where
    Whisper often garbles the cue itself ("this is" heard as "Mrs.")."""
    name = re.escape(company.lower())
    pattern = re.compile(rf"\b(?:from|with|at|here at|calling from)\s+(?:the\s+)?{name}\b")
    cue = re.compile(rf"\b{_INTRO_CUE}\b|\bcalling\b")
    found = []
    for label, text in intros.items():
        opening = text.split()[:_OPENING_WORDS]
        # "We talked with Acme" is a buyer's history, not a rep's greeting.
        greeting = not _THIRD_PARTY.intersection(word.strip(",.!?") for word in opening)
        if (greeting and pattern.search(" ".join(opening))) or (pattern.search(text) and cue.search(text)):
            found.append(label)
    return found


def _company_from_email(given: Sequence[Participant]) -> str | None:
    for person in given:
        if person.side == Side.REP and person.email and "@" in person.email:
            label = person.email.rsplit("@", 1)[1].split(".")[0]
            if label and label.lower() not in _GENERIC_DOMAINS:
                return label
    return None


def _by_elimination(
    mapping: dict[str, Participant],
    sides: Mapping[str, Side],
    order: Sequence[str],
    given: Sequence[Participant],
) -> None:
    """Place the rest: a known side with one candidate left, then order when the counts match."""
    free = [person for person in given if person not in mapping.values()]
    for label in order:
        side = sides.get(label)
        candidates = [person for person in free if person.side == side]
        if label not in mapping and side is not None and len(candidates) == 1:
            mapping[label] = candidates[0]
            free.remove(candidates[0])
    if len(given) != len(order):
        return
    for label in order:
        if label in mapping:
            continue
        fits = [p for p in free if sides.get(label) in (None, p.side) or p.side == Side.UNKNOWN]
        if fits:
            mapping[label] = fits[0]
            free.remove(fits[0])


def _other_side(sides: dict[str, Side], order: Sequence[str]) -> None:
    """In a two-party call, one known side gives the other."""
    if len(order) != 2:
        return
    known = [sides.get(label, Side.UNKNOWN) for label in order]
    for index, side in enumerate(known):
        other = known[1 - index]
        if side == Side.UNKNOWN and other != Side.UNKNOWN:
            sides[order[index]] = Side.BUYER if other == Side.REP else Side.REP


def _result(order: Sequence[str], mapping: Mapping[str, Participant], sides: Mapping[str, Side]) -> Speakers:
    participants: list[Participant] = []
    renames: dict[str, str] = {}
    for label in order:
        person = mapping.get(label)
        side = sides.get(label, Side.UNKNOWN)
        if person is None:
            participants.append(Participant(name=label, side=side))
            continue
        renames[label] = person.name
        participants.append(replace(person, side=person.side if person.side != Side.UNKNOWN else side))
    return Speakers(participants=tuple(participants), renames=renames)
