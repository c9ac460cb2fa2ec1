"""Name generic speakers ("Speaker 2") from what is said: self-introductions ("i'm tamsin
reyes", "this is kevin from civicly", "yeah i'm here bill okafor") and answered roll calls
("is this tamsin" - "yes")."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from extract.features import UtteranceView
from extract.lexicon import HONORIFICS, common_words

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
    named = {v.speaker for v in views if not GENERIC.match(v.speaker)}  # participants known by name
    window = zip(views[:NAMING_WINDOW], docs[:NAMING_WINDOW], strict=False)
    for i, (v, doc) in enumerate(window):
        if not GENERIC.match(v.speaker):
            continue
        others = _first_names(names, named, v.speaker)
        turns = sum(w.speaker == v.speaker for w in views[:i])
        intros = [m for m in _INTRO.finditer(v.clean) if _opens(m, turns)]
        found = [_name(m.group(1), doc) for m in intros]
        # "deb walsh here": a first and last name before "here" (the tagger often calls "deb" an adjective)
        # a first and last name may be tagged anything; a lone first name ("sam here") must look proper;
        # a greeted speaker's name is no part of it ("hi maren ruairi here" is ruairi greeting maren)
        here = [ungreeted(m.group(1), others) for m in _HERE.finditer(v.clean) if _not_place(m.group(1))]
        found += [_name(c, doc, loose=" " in c) for c in here if c]
        found += [_name(m.group(1), doc, loose=True) for m in _HERE_TOO.finditer(v.clean)]
        found += [_name(m.group(1), doc) for m in _NAME_THEN_TITLE.finditer(v.clean)]
        if not any(found):
            # "hey it's dwayne sorry" - "no worries dwayne it's kelsey": a self-introduced word the
            # other side then calls them by is a name, whatever the tagger made of it
            found += [_echoed(m.group(1), v, views[i + 1 : i + 8]) for m in intros]
        if not any(found):
            # "hey kevin osei i'm on the procurement team", "yeah hi tasha joe kowalski i do the books"
            found.append(_greeted_name(v, others) or _greeted_back(v, views[i + 1 : i + 3], others))
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
    _name_late_joiners(views, names, named)
    return names


def _name_late_joiners(views: list[UtteranceView], names: dict[str, str], named: set[str]) -> None:
    """Name speakers whose first turns come after the naming window ("hi sorry i'm here that
    took forever siobhan burke hi jordan"): the greeting rule needs no tags."""
    turns: dict[str, int] = {}
    for v in views[NAMING_WINDOW:]:
        if not GENERIC.match(v.speaker) or v.speaker in names:
            continue
        seen = turns.get(v.speaker, sum(w.speaker == v.speaker for w in views[:NAMING_WINDOW]))
        turns[v.speaker] = seen + 1
        if seen < _FIRST_TURNS:
            others = _first_names(names, named, v.speaker)
            name = _greeted_name(v, others) or _greeted_back(v, views[v.index + 1 : v.index + 3], others)
            if name:
                names[v.speaker] = name


_FIRST_TURNS = 2  # a speaker introduces themself in their first turns, if at all
# what opens a self-introduction: greetings, fillers and "this is" / "i'm" / "my name is"
_OPENERS = frozenset(
    "hi hey hello hiya morning afternoon evening yeah yes yep sure and so um uh oh sorry okay ok "
    "everyone everybody all folks guys "
    "this is it's i'm my name name's here".split()
)
_GREETINGS = frozenset("hi hey hello hiya morning".split())
_INTRO_WORDS = frozenset("this is it's i'm name's".split())
# what may follow a name in an introduction: the turn's end, "here", "i'm ...", a title, "from ..."
_AFTER_NAME = frozenset(
    "here i i'm i've from with at and sorry hi hey over on joining "
    "vp svp evp head director manager chief ceo cfo coo cto cio ciso lead owner founder "
    "partner president officer analyst engineer counsel controller administrator master supervisor "
    "coordinator specialist architect accountant scientist".split()
)
# words of titles that follow a name ("kwame asante head brewer", "sal ferraro cellar master")
_TITLE_WORDS = frozenset(
    "brewer cellar development operations sales finance marketing product people it ops "
    "procurement purchasing legal security data engineering".split()
)
_COMMON = frozenset(
    "good great fine glad nice thanks thank everyone everybody all folks guys team there again "
    "morning afternoon evening how's going doing sorry late muted back just quickly real".split()
)


def _first_names(names: dict[str, str], named: set[str], me: str) -> set[str]:
    """First names of the other speakers: participants known by name and names found so far."""
    return {n.split()[0].lower() for s, n in (*names.items(), *((s, s) for s in named)) if s != me and n}


def ungreeted(candidate: str, others: set[str]) -> str:
    """The candidate without the other speakers' first names that open it (the greeted ones)."""
    words = candidate.split()
    while words and words[0].lower() in others:
        words.pop(0)
    return " ".join(words)


def _words(text: str) -> list[str]:
    """The lowercase words of a cleaned utterance, without the punctuation around them."""
    return [w.strip(",.!?;:") for w in text.lower().split()]


def _greeted_name(v: UtteranceView, others: set[str]) -> str | None:
    """A name in the opening of a turn after a greeting or "this is"/"i'm", followed by the turn's
    end, "here", "i'm ...", "from ..." or a title; a greeted colleague's name is skipped ("hi tasha
    joe kowalski i do the books"). Works on untagged lowercase text."""
    words = _words(v.clean)
    words = words[_audio_check(words) :][:12]  # "yeah we got you hi torsten it's marieke hoogendijk"
    i, opened = 0, False
    while i < len(words) and (words[i] in _OPENERS or (opened and words[i] in others)):
        opened |= words[i] in _GREETINGS or words[i] in _INTRO_WORDS
        i += 1
    if not opened:
        return _rare_name_then_i(words, i, others)
    for size in (3, 2, 1):
        cand = words[i : i + size]
        after = words[i + size : i + size + 2]
        if len(cand) < size or any(not _name_word(w) or w in others for w in cand):
            continue
        introduced = words[i - 1] in _INTRO_WORDS or words[i - 2 : i] == ["this", "is"]
        if size == 1 and not (introduced or after[:1] == ["from"]):
            continue  # a lone word is a name only after "this is" / "i'm" or before "from <company>"
        # the turn ends, or "here", "i'm", "from" or a title follows ("ben ochoa development director")
        if not after or after[0] in _AFTER_NAME or (size > 1 and after[-1] in _AFTER_NAME):
            return " ".join(cand)
    return _closing_name(words, others) if words and words[0] in _GREETINGS else None


_AUDIO_CHECK = (
    ("we", "got", "you"),
    ("we", "hear", "you"),
    ("we", "can", "hear", "you"),
    ("i", "hear", "you"),
    ("i", "got", "you"),
    ("loud", "and", "clear"),
)


def _audio_check(words: list[str]) -> int:
    """How many words open the turn with an answer to "can you hear me" ("yeah we got you")."""
    k = 0
    while k < len(words) and words[k] in {"yeah", "yep", "yes", "yup"}:
        k += 1
    for phrase in _AUDIO_CHECK:
        if tuple(words[k : k + len(phrase)]) == phrase:
            return k + len(phrase)
    return 0


def _rare_name_then_i(words: list[str], i: int, others: set[str]) -> str | None:
    """ "sure wade hurlbut i own kettle creek freight": with no greeting, two words that are no
    common word, then "i", are the speaker's first and last name."""
    cand, after = words[i : i + 2], words[i + 2 : i + 3]
    rare = len(cand) == 2 and all(_name_word(w) and w not in others and w not in common_words() for w in cand)
    return " ".join(cand) if rare and after in (["i"], ["i'm"]) else None


def _closing_name(words: list[str], others: set[str]) -> str | None:
    """A short greeting that ends with a first and last name: "hey how's it going tyler brooks"."""
    last = words[-2:]
    if len(words) <= 8 and len(last) == 2 and all(_name_word(w) and w not in others for w in last):
        return " ".join(last)
    return None


def _greeted_back(v: UtteranceView, after: list[UtteranceView], others: set[str]) -> str | None:
    """A word of `v` that the next speaker greets them by ("... siobhan burke hi jordan" - "hi
    siobhan welcome"), with the word after it in `v` when that looks like a surname."""
    reply = next((w for w in after if w.speaker != v.speaker), None)
    if reply is None:
        return None
    head = _words(reply.clean)[:3]
    if len(head) < 2 or head[0] not in _GREETINGS | {"welcome", "thanks"}:
        return None
    word = head[1]
    words = _words(v.clean)
    if word not in words or not _name_word(word) or word in others:
        return None
    k = words.index(word)
    nxt = words[k + 1] if k + 1 < len(words) else ""
    return f"{word} {nxt}" if nxt and _name_word(nxt) and nxt not in others else word


def _name_word(w: str) -> bool:
    return (
        w.isalpha()
        and len(w) >= 2
        and w not in STOP_WORDS
        and w not in _COMMON
        and w not in _AFTER_NAME
        and w not in _TITLE_WORDS
        and not _NOT_NAMES.match(w)
    )


def _echoed(candidate: str, v: UtteranceView, after: list[UtteranceView]) -> str | None:
    """The candidate's first word when another speaker soon calls `v`'s speaker by it: the word
    opens their turn ("no worries dwayne ...", "so marcus what made you ...") or closes it."""
    word = candidate.split()[0].lower()
    if _NOT_NAMES.match(word) or len(word) < 3 or not word.isalpha() or word in STOP_WORDS:
        return None
    for w in after:
        if w.speaker == v.speaker:
            continue
        words = _words(w.clean)
        if word in words[:3] or words[-1:] == [word]:
            return word
    return None


_PLACES = frozenset({"everyone", "everybody", "we", "you", "they", "i", "it", "nobody", "someone", "all"})


def _not_place(candidate: str) -> bool:
    """False for "we're all here"-like openings that are no name."""
    return candidate.split()[0].lower() not in _PLACES


def _opens(m: re.Match[str], earlier_turns: int) -> bool:
    """False for an "it's ..." / "here's ..." after the speaker's first turns: "so it's adoption not
    the product" names nobody, "hi tadhg it's maartje" in a first turn does."""
    return earlier_turns < _FIRST_TURNS or not m.group(0).lower().startswith(("it's", "here's"))


def _name(candidate: str, doc: Doc, loose: bool = False) -> str | None:
    words = candidate.split()
    kept: list[str] = []
    for w in words:
        # "i'm director of ...", "i'm plant manager": a title, not a name; "femi dr femi adeyemi"
        honorific = bool(kept) and w.lower() in HONORIFICS
        if _NOT_NAMES.match(w) or _title_word(w, doc) or honorific or not _proper(w, doc, loose):
            break
        kept.append(w)
    return " ".join(kept) or None


def _title_word(word: str, doc: Doc) -> bool:
    low = word.lower()
    return (
        low in _AFTER_NAME
        or low in _TITLE_WORDS
        or any(t.lower_ == low and t.ent_type_ == "TITLE" for t in doc)
    )


def _proper(word: str, doc: Doc, loose: bool = False) -> bool:
    tags = {"NNP", "NNPS", "NN", "NNS", "FW"} | ({"JJ"} if loose else set())
    for tok in doc:
        if tok.lower_ == word.lower():
            return tok.tag_ in tags or tok.ent_type_ == "PERSON"
    return False
