"""Name generic speakers ("Speaker 2") from what is said: self-introductions ("i'm tamsin
reyes", "this is kevin from civicly", "yeah i'm here bill okafor") and answered roll calls
("is this tamsin" - "yes")."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from extract.features import UtteranceView

GENERIC = re.compile(r"^(?:speaker|spk|speaker_)\s*_?\d+$|^unknown", re.I)
_INTRO = re.compile(
    r"\b(?:i'm here|i'm|i am|this is|my name is|name's|it's|here's)"
    r"\s+(?:uh\s+|um\s+)?([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+)?)",
    re.I,
)
# "deb walsh here", "hi yeah deb walsh here i'm the it security manager"
_HERE_TOO = re.compile(r"\bi'm here (?:too|as well)\s+([a-z][a-z'\-]+\s+[a-z][a-z'\-]+)", re.I)
_HERE = re.compile(
    r"^(?:(?:hi|hey|hello|yeah|yes|um|uh|so|and|oh|sorry|okay|ok)\s+)*([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+)?)\s+here\b",
    re.I,
)
# "and helena i'm the ceo": a name opening the turn, then the speaker's own title
_NAME_THEN_TITLE = re.compile(
    r"^(?:(?:hi|hey|hello|yeah|yes|um|uh|so|and|oh)\s+)*"
    r"([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+)?)\s+(?:i'm|i am) the\b",
    re.I,
)
_ASKED = re.compile(r"\b(?:is this|am i speaking with|are you)\s+([a-z][a-z'\-]+)\b", re.I)
_NOT_NAMES = re.compile(
    r"^(?:the|a|an|so|just|here|from|with|not|on|in|at|sorry|glad|happy|good|great|fine|okay|ok|really|"
    r"also|still|going|gonna|looking|trying|calling|joining|the|your|our|my|responsible|actually|kind|sure|"
    r"out|back|running|late|new|excited|curious|thinking|hoping|afraid|worried|pretty|very|only|one|two|"
    r"speaking|it|that|this|there|what|who|muted|driving|walking|sitting|on|over|all|yeah|yes|no|hi|hey|"
    r"everyone|everybody|folks|guys|y'all|team|um|uh|like|kidding|done|ready|stuck|based|told|able|right|"
    r"alright|well|but|because|honestly|basically|now|then|okay|ok)\b",
    re.I,
)


# Speakers introduce themselves early: only the first utterances are read for names (and only
# their docs need tags: `extract.represent` tags these and the docs with a title).
NAMING_WINDOW = 25


def name_speakers(views: list[UtteranceView], docs: list[Doc]) -> dict[str, str]:
    """Return generic speaker label -> the name they go by (lowercase as said)."""
    names: dict[str, str] = {}
    window = zip(views[:NAMING_WINDOW], docs[:NAMING_WINDOW], strict=False)
    for i, (v, doc) in enumerate(window):
        if not GENERIC.match(v.speaker):
            continue
        found = [_name(m.group(1), doc) for m in _INTRO.finditer(v.clean)]
        # "deb walsh here": a first and last name before "here" (the tagger often calls "deb" an adjective)
        # a first and last name may be tagged anything; a lone first name ("sam here") must look proper
        found += [
            _name(m.group(1), doc, loose=" " in m.group(1))
            for m in _HERE.finditer(v.clean)
            if _not_place(m.group(1))
        ]
        found += [_name(m.group(1), doc, loose=True) for m in _HERE_TOO.finditer(v.clean)]
        found += [_name(m.group(1), doc) for m in _NAME_THEN_TITLE.finditer(v.clean)]
        if not any(found):
            # "hey it's dwayne sorry" - "no worries dwayne it's kelsey": a self-introduced word the
            # other side then calls them by is a name, whatever the tagger made of it
            found += [_echoed(m.group(1), v, views[i + 1 : i + 8]) for m in _INTRO.finditer(v.clean)]
        for name in found:
            if name and len(name) > len(names.get(v.speaker, "")):
                names[v.speaker] = name
        asked = _ASKED.search(v.clean)
        reply = next((w for w in views[i + 1 : i + 3] if w.speaker != v.speaker), None)
        if asked and reply and GENERIC.match(reply.speaker) and reply.speaker not in names:
            if re.match(r"\s*(?:yes|yeah|yep|speaking|that's me|hi)\b", reply.clean, re.I):
                name = _name(asked.group(1), doc)
                if name:
                    names[reply.speaker] = name
    return names


def _echoed(candidate: str, v: UtteranceView, after: list[UtteranceView]) -> str | None:
    """The candidate's first word when another speaker soon calls `v`'s speaker by it: the word
    opens their turn ("no worries dwayne ...", "so marcus what made you ...") or closes it."""
    word = candidate.split()[0].lower()
    if _NOT_NAMES.match(word) or len(word) < 3 or not word.isalpha() or word in STOP_WORDS:
        return None
    for w in after:
        if w.speaker == v.speaker:
            continue
        words = [t.strip(",.?!") for t in w.clean.lower().split()]
        if word in words[:3] or words[-1:] == [word]:
            return word
    return None


_PLACES = frozenset({"everyone", "everybody", "we", "you", "they", "i", "it", "nobody", "someone", "all"})


def _not_place(candidate: str) -> bool:
    """False for "we're all here"-like openings that are no name."""
    return candidate.split()[0].lower() not in _PLACES


def _name(candidate: str, doc: Doc, loose: bool = False) -> str | None:
    words = candidate.split()
    kept: list[str] = []
    for w in words:
        if _NOT_NAMES.match(w) or not _proper(w, doc, loose):
            break
        kept.append(w)
    return " ".join(kept) or None


def _proper(word: str, doc: Doc, loose: bool = False) -> bool:
    tags = {"NNP", "NNPS", "NN", "NNS", "FW"} | ({"JJ"} if loose else set())
    for tok in doc:
        if tok.lower_ == word.lower():
            return tok.tag_ in tags or tok.ent_type_ == "PERSON"
    return False
