"""`dealsignal_authority`: mark authority and role cues ("signs off", "final say", "owns the budget").

Phrases live in patterns/authority.jsonl as {"label": role, "pattern": phrase, "holder": "after"?};
matches are written to `doc.spans["authority"]` with the role as the span label. Phrases whose
holder follows them ("it goes to Maria", "I'd run it by our COO") carry `kb_id_ == "after"`.
"""

from __future__ import annotations

import json
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

PATTERNS = Path(__file__).resolve().parent.parent / "patterns" / "authority.jsonl"


class AuthorityCues:
    """Find role cue phrases, case-insensitively (works on lowercase ASR text)."""

    def __init__(self, nlp: Language, patterns_path: Path = PATTERNS) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        rows = [json.loads(line) for line in patterns_path.read_text().splitlines() if line.strip()]
        by_key: dict[str, list[Doc]] = {}
        for row in rows:
            key = row["label"] + ("|after" if row.get("holder") == "after" else "")
            by_key.setdefault(key, []).append(nlp.make_doc(row["pattern"]))
        for key in sorted(by_key):
            self.matcher.add(key, by_key[key])

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for key, start, end in self.matcher(doc):
            label, _, holder = doc.vocab.strings[key].partition("|")
            spans.append(Span(doc, start, end, label=label, kb_id=holder))
        spans += _is_mine(doc)
        doc.spans["authority"] = filter_spans(spans)  # "sign off from" wins over "sign off"
        return doc


# "the choice of system is mine", "the pick is mine": a choosing noun a few words before "mine"
_CHOOSING = frozenset({"choice", "pick", "decision", "call", "selection", "say"})
_MINE_REACH = 5
_NOT = frozenset({"not", "n't", "never", "no"})


def _is_mine(doc: Doc) -> list[Span]:
    """Decision cues that name the speaker with "mine", the choosing noun said a few words before."""
    out = []
    for tok in doc:
        if tok.lower_ != "mine":
            continue
        start = max(tok.sent.start, tok.i - _MINE_REACH)
        nouns = [t.i for t in doc[start : tok.i] if t.lower_ in _CHOOSING]
        # "the decision isn't mine", "that's douglas's call, not mine": no cue for the speaker
        if nouns and not any(t.lower_ in _NOT for t in doc[nouns[-1] : tok.i]):
            out.append(Span(doc, nouns[-1], tok.i + 1, label="decision_maker"))
    return out


@Language.factory("dealsignal_authority", assigns=["doc.spans"])
def make_authority(nlp: Language, name: str) -> AuthorityCues:  # noqa: ARG001
    """Create the authority cue matcher."""
    return AuthorityCues(nlp)
