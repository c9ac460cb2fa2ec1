"""`dealsignal_people`: people mentioned in an utterance, with the title said next to them.

Titles come from the entity ruler (label TITLE, patterns/titles.jsonl), so "CFO" is never an
ORG. A TITLE within a few tokens of a PERSON ("Sarah Chen, our CFO", "our CFO Sarah") is
attached to that person; a lone "our CFO" becomes a title-only mention.
Results: `doc.spans["people"]` (PERSON spans, `span._.title`) and `doc.spans["titles"]`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

if not Span.has_extension("title"):
    Span.set_extension("title", default=None)

_WINDOW = 4


class PeopleLinker:
    """Attach TITLE entities to the nearest PERSON entity."""

    def __call__(self, doc: Doc) -> Doc:
        people = [s for s in (_trimmed(e) for e in doc.ents if e.label_ == "PERSON") if s is not None]
        titles = [e for e in doc.ents if e.label_ == "TITLE"]
        people += [s for s in (_proper_next_to(doc, t) for t in titles) if s is not None and _free(s, people)]
        people.sort(key=lambda s: s.start)
        for title in titles:
            person = _nearest(title, people) or _named_just_before(doc, title, people)
            if person is not None and person._.title is None:
                person._.title = title_text(doc, title)
        doc.spans["people"] = people
        doc.spans["titles"] = titles
        return doc


_NOT_NAME_WORDS = frozenset(
    {
        "hey",
        "hi",
        "hello",
        "um",
        "uh",
        "oh",
        "so",
        "and",
        "yeah",
        "yes",
        "thanks",
        "okay",
        "ok",
        "well",
        "dear",
        "i",
        "'m",
        "im",
        "'s",  # "Richard's call": the possessive is no part of the name
        "’s",
    }
)


def _trimmed(span: Span) -> Span | None:
    """Drop greetings and fillers the NER glued to a name ("hey kevin osei" -> "kevin osei")."""
    start, end = span.start, span.end
    while start < end and span.doc[start].lower_ in _NOT_NAME_WORDS:
        start += 1
    while end > start and span.doc[end - 1].lower_ in _NOT_NAME_WORDS:
        end -= 1
    if start == end:
        return None
    return span if (start, end) == (span.start, span.end) else Span(span.doc, start, end, label="PERSON")


_BRIDGE = frozenset({"our", "the", "my", "their"})
_ASR_BRIDGE = _BRIDGE | {"is", "'s", "she", "he", "who", "was"}


def _proper_next_to(doc: Doc, title: Span) -> Span | None:
    """Find a name the NER missed beside a title ("Elena, our CTO", "our cfo sarah chen")."""
    # raw ASR text has no capitals, so "karen oduya she's our ceo" needs a wider bridge
    bridge = _ASR_BRIDGE if doc.text == doc.text.lower() else _BRIDGE
    for start, step in ((title.end, 1), (title.start - 1, -1)):
        i = start
        while 0 <= i < len(doc) and (doc[i].is_punct or doc[i].lower_ in bridge):
            i += step
        j = i
        while 0 <= j < len(doc) and doc[j].tag_ in {"NNP", "NNPS"} and doc[j].ent_type_ != "TITLE":
            j += step
        if j != i and abs(j - i) == 1 and bridge is _ASR_BRIDGE and _name_like(doc, j):
            j += step  # "our coo maria lopez": the tagger calls "lopez" an adjective
        if j != i and abs(j - i) <= 3:
            lo, hi = (i, j) if step > 0 else (j + 1, i + 1)
            return Span(doc, lo, hi, label="PERSON")
        if (
            bridge is _ASR_BRIDGE
            and _owned(doc, title, start, i)
            and _name_like(doc, i)
            and _name_like(doc, i + step)
        ):
            # lowercase ASR tags names as anything (NN, JJ, even VB: "walt emery our board chair"),
            # so a first and last name that are neither common words nor title words stand in
            lo, hi = (i, i + 2) if step > 0 else (i - 1, i + 1)
            return Span(doc, lo, hi, label="PERSON")
    return None


# words that follow or precede a title but are no name ("our cfo signs", "vp sales")
_NOT_NAME_AFTER_TITLE = frozenset(
    "sales finance operations ops marketing engineering product people hr it legal security data "
    "team office department group board budget side signs signed approves approved wants wanted "
    "needs needed says said thinks thought will would should could might can must has had have "
    "is was are were be been does did do first too also again already just really still then "
    "now today tomorrow yesterday week month quarter year meeting call email deck contract "
    "deal vendor vendors tool platform system software price pricing cost costs money number "
    "numbers decision approval sign-off review here there everything anything nothing something "
    "about over under with without from into onto for of on in at by to and or but so if because "
    "yeah yes no okay ok um uh like well right sure actually honestly basically "
    "told asked wrote sent cares owns runs leads heads signs".split()
)


_POSSESSIVE = frozenset({"our", "my", "their", "she", "he"})  # "margaret hale she's the chair"


def _owned(doc: Doc, title: Span, start: int, i: int) -> bool:
    """True when "our"/"my"/"their" ties the title to the buyer's people: "walt emery our board
    chair", "our county administrator leon fischer" (not "the hospital job the owner")."""
    bridge = doc[min(start, i) : max(start, i) + 1] if i != start else doc[0:0]
    lead = doc[max(0, title.start - 2) : title.start] if start == title.end else doc[0:0]
    return any(t.lower_ in _POSSESSIVE for t in (*bridge, *lead))


def _name_like(doc: Doc, i: int) -> bool:
    """True when token i could be part of a lowercase name: a plain word, no stop word or title."""
    if not 0 <= i < len(doc):
        return False
    tok = doc[i]
    return (
        tok.is_alpha
        and len(tok) >= 2
        and not tok.is_stop
        and tok.lower_ not in _NOT_NAME_AFTER_TITLE
        and tok.ent_type_ in {"", "PERSON"}
        and tok.tag_ not in {"VBD", "VBG", "VBN", "MD", "RB", "IN", "CD"}
    )


_PRONOUNS = frozenset({"she", "he"})
_BEFORE_TITLE = frozenset({"'s", "is", "was", "has", "been", "the", "our", "their", "a"})


def _named_just_before(doc: Doc, title: Span, people: list[Span]) -> Span | None:
    """The one person of the previous sentence when a title's sentence opens with "she's" / "he
    is": "Adaeze Nwosu. She's been general manager for about six years." """
    sent = title.sent
    head = [t.lower_ for t in doc[sent.start : title.start]]
    if not head or head[0] not in _PRONOUNS or any(w not in _BEFORE_TITLE for w in head[1:]):
        return None
    before = [p for p in people if p.end <= sent.start and p.start >= doc[max(0, sent.start - 1)].sent.start]
    return before[0] if len(before) == 1 else None


def _free(span: Span, people: list[Span]) -> bool:
    return all(span.end <= p.start or span.start >= p.end for p in people)


def _nearest(title: Span, people: list[Span]) -> Span | None:
    best: tuple[int, Span] | None = None
    for person in people:
        gap = title.start - person.end if title.start >= person.end else person.start - title.end
        between = title.doc[min(title.end, person.end) : max(title.start, person.start)]
        if gap > _WINDOW or any(t.lower_ in {"and", "but", "."} or t.pos_ == "VERB" for t in between):
            continue
        if best is None or gap < best[0]:
            best = (gap, person)
    return best[1] if best else None


# words before a title that belong to it: "assistant superintendent", "interim director"
# (`roles.DEPUTY` says which of them rank one below)
QUALIFIERS = frozenset({"assistant", "associate", "deputy", "interim", "acting", "senior", "junior"})


def title_text(doc: Doc, title: Span) -> str:
    """Return the title with its qualifier and an "of X" / "for X" complement ("VP of
    Engineering", "assistant superintendent for student")."""
    start, end = title.start, title.end
    if start > 0 and doc[start - 1].lower_ in QUALIFIERS:
        start -= 1
    if end + 1 < len(doc) and doc[end].lower_ in {"of", "for"} and doc[end + 1].pos_ in {"NOUN", "PROPN"}:
        end += 2
    text = doc[start:end].text
    return text.upper() if len(text) <= 4 and text.isalpha() else text


@Language.factory("dealsignal_people", assigns=["doc.spans"], requires=["doc.ents"])
def make_people(nlp: Language, name: str) -> PeopleLinker:  # noqa: ARG001
    """Create the person/title linker."""
    return PeopleLinker()
