"""`dealsignal_names`: people's names in lowercase ASR text, which the NER mostly misses.

"yeah charles whitmore our managing partner signs", "this has to go to ray delgado": with no
capitals the small English model finds few names. In an all-lowercase doc a census given name
that is not a common lowercase word ("charles", not "grant") starts a name, and a following word
that is neither a common word nor a stop word is its surname. A given name that is also a common
word ("ray") counts only with such a surname after it. Found names become PERSON entities,
replacing entities of labels the model gives names it does not know (ORG, GPE, ...).
"""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from extract.lexicon import common_words, given_names, short_surnames

# entity labels a spotted name may replace: what the model calls a name it does not know
_REPLACEABLE = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "WORK_OF_ART"})
# words next to names that are never part of them (titles, fillers, call words)
_NEVER_NAME = frozenset(
    "um uh yeah yes okay ok hey hi hello thanks bye sorry right sure well like just "
    "ceo cfo coo cto cio ciso vp svp evp head director manager lead chief president owner founder "
    "partner counsel controller officer engineer analyst team board".split()
)

# words between a name and its title: "cormac ferrier our studio head", "he's the controller"
_APPOSITION = frozenset({"our", "the", "their", "he", "she", "'s", "is", "um", "uh", ","})

# who "my ..." introduces by name
_KIN = frozenset(
    "dad father mom mum mother husband wife brother sister son daughter partner boss uncle aunt "
    "cousin".split()
)

# a given name after these is a place: "our office in austin", "the plant near florence"
_PLACE_WORDS = frozenset({"in", "at", "near", "outside", "downtown", "around"})


class NameSpotter:
    """Mark lowercase names as PERSON entities (docs with capitals are left to the NER)."""

    def __init__(self) -> None:
        self.given = given_names()
        self.short_surnames = short_surnames()
        self.common = common_words()

    def __call__(self, doc: Doc) -> Doc:
        if doc.text != doc.text.lower():
            return doc
        found = self.names(doc)
        if not found:
            return doc
        blocked = [e for e in doc.ents if e.label_ not in _REPLACEABLE or not _betters(e, found)]
        free = [s for s in found if all(s.end <= e.start or s.start >= e.end for e in blocked)]
        kept = [e for e in doc.ents if all(e.end <= s.start or e.start >= s.end for s in free)]
        doc.ents = filter_spans([*kept, *free])
        return doc

    def names(self, doc: Doc) -> list[Span]:
        """Return the name spans of a lowercase doc."""
        out: list[Span] = []
        i = 0
        while i < len(doc):
            word = doc[i].lower_
            place = i > 0 and doc[i - 1].lower_ in _PLACE_WORDS  # "in austin", "at jordan"
            if word in self.given and not place and self._plain(word):
                surname = i + 1 < len(doc) and doc[i + 1].lower_ != word and self._surname(doc[i + 1].lower_)
                if surname or not self._is_common(word):
                    end = i + 2 if surname else i + 1
                    # "walt emery": a given name the lists lack, before one they hold
                    start = i - 1 if not surname and self._before_given(doc, i, out) else i
                    out.append(Span(doc, start, end, label="PERSON"))
                    i = end
                    continue
            if self._introduced_pair(doc, i):
                out.append(Span(doc, i, i + 2, label="PERSON"))
                i += 2
                continue
            i += 1
        return out

    def _introduced_pair(self, doc: Doc, i: int) -> bool:
        """Two rare words that the words around them mark as a person's name, for given names the
        census lacks: "i'm colm ferriter the controller", "cormac ferrier our studio head",
        "i've got cyrus delacroix in the room he's our plant manager"."""
        if i + 1 >= len(doc) or not (self._surname(doc[i].lower_) and self._surname(doc[i + 1].lower_)):
            return False
        before = [t.lower_ for t in doc[max(0, i - 2) : i]]
        introduced = before[-1:] in (["'m"], ["am"]) or before == ["this", "is"]
        kin = len(before) == 2 and before[0] == "my" and before[1] in _KIN  # "my dad joost hoogendijk"
        # "ysolde harrower she co owns the practice": the pair is what the pronoun then stands for
        subject = i + 2 < len(doc) and doc[i + 2].lower_ in {"she", "he"}
        return introduced or kin or subject or self._title_follows(doc, i + 2)

    def _title_follows(self, doc: Doc, k: int) -> bool:
        """True when a title follows token k-1 with only linking words between ("our", "the",
        "he's our", "she's the")."""
        for t in doc[k : k + 4]:
            if t.ent_type_ == "TITLE":
                return True
            if t.lower_ not in _APPOSITION:
                return False
        return False

    def _plain(self, word: str) -> bool:
        """A word that can be a given name (common words included: the caller decides on them)."""
        return word.isalpha() and len(word) >= 3 and word not in STOP_WORDS and word not in _NEVER_NAME

    def _surname(self, word: str) -> bool:
        """A word that can follow a given name as its surname: not a common word ("whitmore", "vo")."""
        return (
            word.isalpha()
            and (len(word) >= 3 or word in self.short_surnames)
            and word not in STOP_WORDS
            and word not in _NEVER_NAME
            and not self._is_common(word)
        )

    def _before_given(self, doc: Doc, i: int, found: list[Span]) -> bool:
        """True when the word before token i reads as the given name of a "given surname" pair."""
        if i == 0 or (found and found[-1].end > i - 1):
            return False
        word = doc[i - 1].lower_
        # "i've been bugging glenda": no name (most docs are untagged here, hence the ending)
        verb = doc[i - 1].tag_.startswith("VB") or (word.endswith("ing") and len(word) >= 6)
        tagged = doc[i - 1].ent_type_ in {"", "PERSON"}
        return word not in self.given and tagged and not verb and self._surname(word)

    def _is_common(self, word: str) -> bool:
        return word in self.common


def _betters(ent: Span, found: list[Span]) -> bool:
    """True when the spotted names improve on an entity: any non-PERSON label, or a PERSON
    span the names cover or that only adds fillers or a repeat ("jeff" -> "jeff ambrose",
    "hey kevin osei" -> "kevin osei"; not "richard tan" -> "richard")."""
    if ent.label_ != "PERSON":
        return True
    words = {t.lower_ for s in found if s.start < ent.end and ent.start < s.end for t in s}
    extra = [t.lower_ for t in ent if t.lower_ not in words]
    return bool(words) and all(w in STOP_WORDS or w in _NEVER_NAME or not w.isalpha() for w in extra)


@Language.factory("dealsignal_names", assigns=["doc.ents"], requires=["doc.ents"])
def make_names(nlp: Language, name: str) -> NameSpotter:  # noqa: ARG001
    """Create the lowercase name spotter."""
    return NameSpotter()
