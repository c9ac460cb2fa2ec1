"""Name generic speakers ("Speaker 2") from what is said: self-introductions ("i'm tamsin
reyes", "this is kevin from civicly", "yeah i'm here bill okafor") and answered roll calls
("is this tamsin" - "yes")."""

from __future__ import annotations

import re

from spacy.tokens import Doc

from extract.features import UtteranceView

GENERIC = re.compile(r"^(?:speaker|spk|speaker_)\s*_?\d+$|^unknown", re.I)
_INTRO = re.compile(
    r"\b(?:i'm|i am|this is|my name is|name's|it's|i'm here|here's)"
    r"\s+(?:uh\s+|um\s+)?([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+)?)",
    re.I,
)
_ASKED = re.compile(r"\b(?:is this|am i speaking with|are you)\s+([a-z][a-z'\-]+)\b", re.I)
_NOT_NAMES = re.compile(
    r"^(?:the|a|an|so|just|here|from|with|not|on|in|at|sorry|glad|happy|good|great|fine|okay|ok|really|"
    r"also|still|going|gonna|looking|trying|calling|joining|the|your|our|my|responsible|actually|kind|sure|"
    r"out|back|running|late|new|excited|curious|thinking|hoping|afraid|worried|pretty|very|only|one|two|"
    r"speaking|it|that|this|there|what|who|muted|driving|walking|sitting|on|over|all|yeah|yes|no|hi|hey|"
    r"everyone|everybody|folks|guys|y'all|team|um|uh|like|kidding|done|ready|stuck|based|told|able)\b",
    re.I,
)


def name_speakers(views: list[UtteranceView], docs: list[Doc]) -> dict[str, str]:
    """Return generic speaker label -> the name they go by (lowercase as said)."""
    names: dict[str, str] = {}
    for i, (v, doc) in enumerate(zip(views[:25], docs[:25], strict=False)):
        if not GENERIC.match(v.speaker):
            continue
        for m in _INTRO.finditer(v.clean):
            name = _name(m.group(1), doc)
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


def _name(candidate: str, doc: Doc) -> str | None:
    words = candidate.split()
    kept: list[str] = []
    for w in words:
        if _NOT_NAMES.match(w) or not _proper(w, doc):
            break
        kept.append(w)
    return " ".join(kept) or None


def _proper(word: str, doc: Doc) -> bool:
    for tok in doc:
        if tok.lower_ == word.lower():
            return tok.tag_ in {"NNP", "NNPS", "NN", "NNS", "FW"} or tok.ent_type_ == "PERSON"
    return False
