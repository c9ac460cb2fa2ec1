"""Stakeholders: buyer-side people, merged per person, with title, role and decision power.

People come from buyer participants (on the call) and from PERSON mentions with a part in the
deal (a title, an authority cue, or repeated mentions). "Sarah", "Sarah Chen" and "our CFO"
(once Sarah is known as the CFO) are one person. Rep-side people and people with no part
("on parental leave", "used to run it") are dropped.
"""

from __future__ import annotations

import itertools
import re

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span, Token

from extract import cues
from extract.authority import Person, person_features, pick_role, reconcile, role_inputs
from extract.components.people import title_text
from extract.features import UtteranceView
from extract.heads import LinearHead
from extract.lexicon import HONORIFICS
from extract.roles import DECIDING, role_for
from extract.speaker_names import ungreeted
from extract.types import Stakeholder

_GENERIC = re.compile(r"^speaker\s*\d+$|^spk_?\d+$|^unknown", re.I)


def extract_stakeholders(
    views: list[UtteranceView],
    docs: list[Doc],
    sides: dict[str, str],
    said: dict[str, str],
    authority: LinearHead | None = None,
    roles: LinearHead | None = None,
) -> tuple[Stakeholder, ...]:
    """Return buyer-side stakeholders in order of first appearance.

    Args:
        views: utterance views.
        docs: spaCy docs (people, titles, authority cues).
        sides: speaker label -> side.
        said: generic speaker label ("Speaker 2") -> the name said in the call.
        authority: the trained decision-authority head (None: rules decide).
        roles: the trained role head (None: the role follows the title and cues).
    """
    people = candidates(views, docs, sides, said)
    return tuple(_finish(p, len(views), people, authority, roles) for p in people)


def candidates(
    views: list[UtteranceView], docs: list[Doc], sides: dict[str, str], said: dict[str, str]
) -> list[Person]:
    """Return the merged buyer-side people worth reporting (before roles are decided)."""
    people: dict[str, Person] = {}
    reps = {said.get(n, n).lower() for n, s in sides.items() if s == "rep"}
    for speaker, side in sides.items():
        name = said.get(speaker, speaker)
        if side == "buyer" and not _GENERIC.match(name):
            people[speaker] = Person(name=name, on_call=True)
    known = _call_names(docs, said)
    for i, (v, doc) in enumerate(zip(views, docs, strict=True)):
        asked = _decision_asked(views[i - 1] if i else None, v)
        _collect(v, doc, people, reps, asked, known)
    return [p for p in _merge(people) if _keep(p)]


# a question about who decides or signs; the other side's answer names the holder
_DECISION_QUESTION = re.compile(
    r"\bwho(?:'s| is| else)?\b[^?.]{0,30}\b(?:sign|signs|signing|approv\w*|final (?:say|call|word|decision)|"
    r"decid\w*|decision|budget|make[s]? the call|pull the trigger)",
    re.I,
)
_ME = re.compile(
    r"^(?:\W*(?:yeah|well|so|um|uh|oh|honestly|that's|that would be|that'd be|it's)\W*)*"
    r"(?:me|i do|i am|myself)\b",
    re.I,
)


def _decision_asked(prev: UtteranceView | None, v: UtteranceView) -> str | None:
    """Return the role a question just before `v` asks about ("who signs off?" -> economic_buyer)."""
    if prev is None or prev.speaker == v.speaker or prev.side == v.side != "unknown":
        return None
    m = _DECISION_QUESTION.search(prev.clean)
    if m is None:
        return None
    return "economic_buyer" if re.search(r"sign|approv|budget", m.group(0), re.I) else "decision_maker"


def _collect(
    v: UtteranceView,
    doc: Doc,
    people: dict[str, Person],
    reps: set[str],
    asked: str | None = None,
    known: frozenset[str] = frozenset(),
) -> None:
    mentioned = [p for p in doc.spans["people"] if not _is_rep(p.text, reps) and not _GENERIC.match(p.text)]
    mentioned += _known_names(doc, people, mentioned)
    mentioned += [s for s in _said_before(doc, known, mentioned) if not _is_rep(s.text, reps)]
    me = people.get(v.speaker)
    if me is not None:  # "hi maren ruairi here": the rep greeted, then the speaker's own name
        mentioned = [p for p in mentioned if not _greeting_then_self(p.text, reps, me.name)]
        me.utterances.add(v.index)
        me.spoken += 1
        me.money += bool(_MONEY.search(v.clean))
        me.decisive += bool(_DECISIVE.search(v.clean))
        me.leads += bool(_LEADS.search(v.clean))
    holders: dict[int, Person] = {}
    for span in mentioned:
        person = people.setdefault(_key(span.text, people), Person(name=span.text))
        if len(span.text) > len(person.name) and _same(span.text, person.name):
            person.name = span.text
        person.utterances.add(v.index)
        person.buyer_mentions += v.side != "rep"
        person.title = person.title or span._.title
        holders[span.start] = person
    if me is not None and me.title is None:
        me.title = own_title(doc)
    for person, label in _possessed(doc, holders):
        person.cues.append(label)
        if me is not None and person is not me and label in DECIDING:
            me.routes += 1
    for cue in doc.spans["authority"]:
        owner = _cue_owner(doc, cue, holders, me)
        if owner is None:
            continue
        label = _gate_role(doc, cue)
        if label == "none":
            owner.excluded |= owner is not me
        elif owner is me and label in DECIDING and _negated(doc, cue.start):
            me.routes += 1  # "I can't sign off on this": the speaker holds no budget, someone else does
        else:
            owner.cues.append(label)
            if me is not None and owner is not me and label in DECIDING:
                me.routes += 1  # the speaker takes it to the holder: they run the buying
    if asked and not doc.spans["authority"]:
        # "who signs off on this?" - "that'd be Marco, our COO" / "me"
        answer = holders[min(holders)] if holders else me if me and _ME.search(v.clean) else None
        if answer is not None:
            answer.cues.append(asked)


# what a sign-off or approval is for, when it is not the money: a security or integration review
# ("the security sign-off from Marcus", "has to approve anything touching the api") is a technical
# gate, a clause or the paperwork ("she won't sign off on that subprocessor clause") a legal one
_TECHNICAL_GATE = re.compile(
    r"\b(?:security|infosec|it|api|integration|integrations|technical|architecture|sso|connector|"
    r"infrastructure|network|pen ?test|soc ?2|data)\b",
    re.I,
)
_LEGAL_GATE = re.compile(
    r"\b(?:legal|dpa|clause|clauses|redlines?|compliance|privacy|subprocessors?|msa|indemnit\w+|liability)\b",
    re.I,
)
_SIGN_OFF = re.compile(r"sign|approv", re.I)
# ... unless the money is named beside it ("signs off on anything over 50k")
_MONEY_GATE = re.compile(r"\b(?:budget|spend|money|price|pricing|cost|po|purchase order|over|above)\b", re.I)
_GATE_WINDOW = 6


def _gate_role(doc: Doc, cue: Span) -> str:
    """The role a cue gives its holder: a sign-off or approval next to a technical or legal object
    is that review's gate, not the budget's."""
    if cue.label_ != "economic_buyer" or not _SIGN_OFF.search(cue.text):
        return str(cue.label_)
    sent = cue.sent
    near = doc[max(sent.start, cue.start - _GATE_WINDOW) : min(sent.end, cue.end + _GATE_WINDOW)].text
    if _MONEY_GATE.search(near):
        return "economic_buyer"
    if _TECHNICAL_GATE.search(near):
        return "technical_evaluator"
    if _LEGAL_GATE.search(near):
        return "legal_procurement"
    return "economic_buyer"


# what someone's decision is called: "it's Dana's call", "needs Priya's signature"
_DECIDING_NOUNS = ("call", "decision", "say", "choice", "pick", "veto")
_PAYING_NOUNS = ("budget", "money", "signature", "sign-off", "signoff", "approval", "p&l")
_POSSESSED_ROLES = {
    **dict.fromkeys(_DECIDING_NOUNS, "decision_maker"),
    **dict.fromkeys(_PAYING_NOUNS, "economic_buyer"),
}
_NOUN_OPENERS = frozenset({"final", "own", "whole"})  # "Kate's final say"
_CLAUSE_END = frozenset({".", ",", ";", "!", "?", "and", "but", "so", "not", "really", "anyway"})
_LOOK_BACK = 8  # "the decision isn't mine, it's Richard's": the noun said up to 8 words before
_CALL_IS = frozenset({"'s", "is", "was", "be", "ultimately", "really"})


def _possessed(doc: Doc, holders: dict[int, Person]) -> list[tuple[Person, str]]:
    """Cues a possessive gives a named person: "it's Dana's call", "needs Priya's signature",
    and, the noun said first, "the decision isn't mine, it's Richard's"."""
    out = []
    for start, person in holders.items():
        noun = _possessed_noun(doc, start)
        if noun is None or any(c.start <= noun.i < c.end for c in doc.spans["authority"]):
            continue  # none, or the cue phrases already give it ("needs sign-off from")
        label = _POSSESSED_ROLES[noun.lower_]
        out.append((person, _gate_role(doc, Span(doc, noun.i, noun.i + 1, label=label))))
    return out


def _possessed_noun(doc: Doc, start: int) -> Token | None:
    """The decision noun a possessive name at `start` owns, if any."""
    sent = doc[start].sent
    mark = next((k for k in range(start + 1, min(start + 4, sent.end)) if doc[k].lower_ == "'s"), None)
    if mark is None or (start > sent.start and doc[start - 1].lower_ in _NEGATIONS):  # "not dana's call"
        return None
    after = doc[mark + 1 : min(mark + 3, sent.end)]
    if len(after) and after[0].lower_ in _NOUN_OPENERS:
        after = after[1:]
    if len(after) and after[0].lower_ in _POSSESSED_ROLES:
        noun = after[0]
        # "it's Dana's call" or a call "to make", not a phone call ("on Dana's call last week")
        said_as_is = start > 0 and doc[start - 1].lower_ in _CALL_IS
        to_make = doc[noun.i + 1 : noun.i + 3].text.lower() == "to make"
        if noun.lower_ == "call" and not (said_as_is or to_make):
            return None
        return noun
    if len(after) and not (after[0].lower_ in _CLAUSE_END or after[0].is_punct):
        return None
    said_first = [t for t in doc[max(sent.start, start - _LOOK_BACK) : start] if t.lower_ in _POSSESSED_ROLES]
    return said_first[-1] if said_first else None


# labels the small English model gives names it does not know ("Beatrice Hale" as an ORG)
_MISLABELLED = frozenset({"ORG", "GPE", "FAC", "NORP", "PRODUCT", "WORK_OF_ART", "LOC"})


def _known_names(doc: Doc, people: dict[str, Person], found: list[Span]) -> list[Span]:
    """Entities of other labels that name a person already met in the call ("goes to Beatrice
    Hale, our director" ... "I'll brief Beatrice when she's back")."""
    names = [set(p.name.lower().split()) for p in people.values()]
    out = []
    for ent in doc.ents:
        if ent.label_ not in _MISLABELLED or any(ent.start < s.end and s.start < ent.end for s in found):
            continue
        words = set(ent.text.lower().split())
        if any(words <= known for known in names):
            out.append(Span(doc, ent.start, ent.end, label="PERSON"))
    return out


def _call_names(docs: list[Doc], said: dict[str, str]) -> frozenset[str]:
    """First names of the full names said anywhere in the call ("ray delgado your ceo") and of
    the speakers: in lowercase text a bare "ray" is that person, before or after the full name."""
    full = [s.text for doc in docs for s in doc.spans["people"] if len(s) >= 2]
    full += list(said.values())
    firsts = (n.lower().split()[0] for n in full if n.strip())
    return frozenset(w for w in firsts if w not in STOP_WORDS)


def _said_before(doc: Doc, known: frozenset[str], found: list[Span]) -> list[Span]:
    """Lowercase tokens that are the first name of someone named in the call ("this has to go to
    ray" ... "ray delgado your ceo right")."""
    if not known or doc.text != doc.text.lower():
        return []
    taken = [(s.start, s.end) for s in found] + [(e.start, e.end) for e in doc.ents if e.label_ == "TITLE"]
    return [
        Span(doc, t.i, t.i + 1, label="PERSON")
        for t in doc
        if t.lower_ in known and not any(a <= t.i < b for a, b in taken)
    ]


# a buyer speaking about the money or the terms of the deal
_MONEY = re.compile(
    cues.CATEGORY_CUES["pricing"].pattern + "|" + cues.CATEGORY_CUES["contract"].pattern, re.I
)
# a buyer speaking as the one who chooses: "we've chosen you on the product", "I'm not paying for X",
# "take it out", "let's go ahead", "I'd want to see that on paper"
_DECISIVE = re.compile(
    r"\b(?:we(?:'ve| have) (?:chosen|decided|picked|selected|shortlisted)|i(?:'ve| have) decided|"
    r"i'm not (?:paying|signing|buying|going to (?:pay|sign|buy))|i won't (?:pay|sign|buy|approve)|"
    r"i(?:'d| would) (?:want|need) to see|i can live with|i'm (?:happy|comfortable|ready|prepared) to "
    r"(?:go|move|proceed|sign|commit)|let's (?:do it|go ahead|move forward|proceed|do this)|"
    r"we'll (?:go ahead|move forward|proceed|sign|take it)|i'll (?:approve|sign)|my (?:budget|decision)|"
    r"(?:then )?take (?:it|that) out|i (?:want|need) (?:this|it|that|the) (?:done|live|signed|in place)|"
    r"if you can do that,? we have a deal|we have a deal|you've got a deal|i'm (?:sold|in))\b",
    re.I,
)

# a buyer speaking as the one others answer to: "both of them report to me", "my team will run it"
_LEADS = re.compile(
    r"\b(?:reports? (?:in)?to me|report(?:s|ing)? up to me|"
    r"my (?:team|teams|department|group|staff|people|org)|"
    r"i (?:run|head(?: up)?|lead|oversee|manage) (?:the|our|a|this|all)\b)",
    re.I,
)

_OWN_TITLE = re.compile(
    r"\b(?:i'm|i am|as|i'm the|as the|my title is|my role is|i run|i head|i lead)\s+(?:the\s+|our\s+)?$", re.I
)
# "i run property operations so vp of property ops": a self-description earlier in the sentence
_SELF_DESCRIBED = re.compile(r"\b(?:i'm|i am|i run|i head|i lead|i oversee|i manage|i look after)\b", re.I)
_JOINS = frozenset({"so", ",", "-", "--", "and", "basically", "officially"})
# "I run clinical operations", "i head up procurement": the speaker heads a unit
_RUNS_UNIT = re.compile(
    r"\bi (?:run|head(?: up)?|lead|oversee)\s+(?:our\s+)?([a-z][a-z&\-]+(?:\s+[a-z][a-z&\-]+)?)", re.I
)


_SELF_NAMING = frozenset({"i'm", "i am", "this is", "it's", "name's"})


def _lead_in(doc: Doc, span: Span) -> str:
    """The two words before a span, lowercase ("i'm" before "tamsin reyes")."""
    return doc[max(0, span.start - 2) : span.start].text.lower()


_UNIT_WORDS = 2  # nouns naming the unit a title heads, said before it


def _unit_before(doc: Doc, title: Span) -> int:
    """Where a title starts once the nouns naming its unit are taken in ("plant" in "as plant
    operations manager")."""
    start = title.start
    while (
        start > max(title.sent.start, title.start - _UNIT_WORDS)
        and doc[start - 1].pos_ in {"NOUN", "PROPN", "ADJ"}
        and not doc[start - 1].is_stop
    ):
        start -= 1
    return start


def own_title(doc: Doc) -> str | None:
    """Return a title the speaker gives themself ("I'm the VP of Engineering", "i run
    property operations so vp of property ops", "I run clinical operations")."""
    # the speaker's own name ("i'm tamsin reyes ...") is no other person the title could be about
    others = [p for p in doc.spans["people"] if _lead_in(doc, p) not in _SELF_NAMING]
    for title in doc.spans["titles"]:
        if any(p._.title and abs(p.start - title.start) < 6 for p in others):
            continue
        first = _unit_before(doc, title)  # "as plant operations manager": the unit it heads
        before = doc[max(0, first - 4) : first].text + " "
        if _OWN_TITLE.search(before):
            return title_text(doc, title) if first == title.start else doc[first : title.end].text
        window = doc[max(title.sent.start, title.start - 10) : title.start]
        joined = title.start == title.sent.start or doc[title.start - 1].lower_ in _JOINS
        if joined and _SELF_DESCRIBED.search(window.text) and not others:
            return title_text(doc, title)
    m = _RUNS_UNIT.search(doc.text)
    if m is not None:
        unit = list(itertools.takewhile(lambda w: w.lower() not in STOP_WORDS, m.group(1).split()))
        if unit:
            return "head of " + " ".join(unit)
    return None


_FIRST_PERSON = frozenset({"i", "i'm", "me", "my", "myself"})
_NEGATIONS = frozenset({"not", "n't", "never", "cannot", "can't", "don't", "won't", "isn't", "no"})


def _negated(doc: Doc, at: int) -> bool:
    """True when a negation stands just before the cue in its sentence ("i can't sign off")."""
    sent = doc[at].sent
    return any(t.lower_ in _NEGATIONS for t in doc[max(sent.start, at - 4) : at])


def _cue_owner(doc: Doc, cue: Span, holders: dict[int, Person], me: Person | None) -> Person | None:
    """Who a cue is about: "I" just before it means the speaker, else the nearest person before it
    in the same sentence (or after it, or the last one mentioned when a pronoun stands in).
    A forward cue ("goes to", "run it by") names its holder after it: "it goes to Maria"."""
    at, sent = cue.start, cue.sent
    if cue.kb_id_ == "after":
        ahead = [s for s in holders if at < s < min(sent.end, at + 8)]
        if ahead:
            return holders[min(ahead)]
        pronoun = any(t.lower_ in {"her", "him", "them"} for t in doc[at : at + 4])  # "lands on her desk"
        return holders[max(holders)] if pronoun and holders else None
    window = doc[max(sent.start, at - 5) : at]
    # the cue names its holder: "my call", "the choice is mine"
    mine = any(t.lower_ in _FIRST_PERSON or t.lower_ == "mine" for t in cue)
    if me is not None and (mine or any(t.lower_ in _FIRST_PERSON for t in window)):
        return me
    before = [s for s in holders if sent.start <= s < at]
    if before:
        return holders[max(before)]
    after = [s for s in holders if at < s < sent.end]
    if after:
        return holders[min(after)]
    # a pronoun before the cue or inside it: "she decides", "it's her budget", "his call"
    if holders and any(t.lower_ in {"she", "he", "her", "his", "him"} for t in doc[sent.start : cue.end]):
        return holders[max(holders)]
    if me is not None and any(t.lower_ in {"i", "my", "me", "mine"} for t in sent):
        return me
    return None


def _greeting_then_self(name: str, reps: set[str], mine: str) -> bool:
    """True for a name made of a rep's first name and the speaker's own ("maren ruairi" said by ruairi)."""
    rest = ungreeted(name.lower(), {r.split()[0] for r in reps if r})
    return rest != name.lower() and _same(rest, mine)


def _is_rep(name: str, reps: set[str]) -> bool:
    tokens = set(name.lower().split())
    return any(tokens <= set(r.split()) for r in reps)


def _same(a: str, b: str) -> bool:
    """True when one name's words are all in the other's ("dr angela" and "angela pierce" too)."""
    ta, tb = set(a.lower().split()) - HONORIFICS, set(b.lower().split()) - HONORIFICS
    return bool(ta and tb) and (ta <= tb or tb <= ta)


def _key(name: str, people: dict[str, Person]) -> str:
    for key, person in people.items():
        if _same(name, person.name):
            return key
    return name


def _merge(people: dict[str, Person]) -> list[Person]:
    """Merge entries that name the same person (a first name and a full name)."""
    merged: list[Person] = []
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
        twin.spoken += person.spoken
        twin.routes += person.routes
        twin.money += person.money
        twin.decisive += person.decisive
        twin.leads += person.leads
        twin.excluded &= person.excluded
    return merged


def _keep(p: Person) -> bool:
    if p.on_call:
        return True
    if p.excluded:
        return False
    return (
        bool(p.title or p.cues) and p.buyer_mentions > 0 or p.buyer_mentions >= 2 and len(p.utterances) >= 3
    )


def _finish(
    p: Person, n_utterances: int, group: list[Person], authority: LinearHead | None, roles: LinearHead | None
) -> Stakeholder:
    role = role_for(p.title, p.cues)
    evidence = bool(p.title) + bool(p.cues) + p.on_call
    confidence = min(0.95, 0.55 + 0.15 * evidence)
    if authority is not None:
        features = person_features(p, n_utterances, group)
        p_dm = float(authority.proba(features[None, :])[0])
        deciding = p_dm >= authority.threshold
        if roles is not None:
            role = pick_role(roles.proba(role_inputs(p, features)[None, :])[0], deciding)
        else:
            role = reconcile(role, deciding, p.title, p.cues)
        confidence = max(p_dm, 1.0 - p_dm)
    return Stakeholder(
        name=p.name.title() if p.name.islower() else p.name,
        title=p.title,
        role=role,
        decision_maker=role in DECIDING,
        on_call=p.on_call,
        utterances=tuple(sorted(p.utterances)),
        confidence=round(confidence, 3),
    )
