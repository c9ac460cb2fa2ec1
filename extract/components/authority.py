"""`dealsignal_authority`: mark authority and role cues ("signs off", "final say", "owns the budget").

Phrases live in patterns/authority.jsonl as {"label": role, "pattern": phrase}; matches are
written to `doc.spans["authority"]` with the role as the span label.
"""

from __future__ import annotations

import json
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

PATTERNS = Path(__file__).resolve().parent.parent / "patterns" / "authority.jsonl"


class AuthorityCues:
    """Find role cue phrases, case-insensitively (works on lowercase ASR text)."""

    def __init__(self, nlp: Language, patterns_path: Path = PATTERNS) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        rows = [json.loads(line) for line in patterns_path.read_text().splitlines() if line.strip()]
        by_label: dict[str, list[Doc]] = {}
        for row in rows:
            by_label.setdefault(row["label"], []).append(nlp.make_doc(row["pattern"]))
        for label in sorted(by_label):
            self.matcher.add(label, by_label[label])

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, s, e, label=mid) for mid, s, e in self.matcher(doc)]
        doc.spans["authority"] = spans
        return doc


@Language.factory("dealsignal_authority", assigns=["doc.spans"])
def make_authority(nlp: Language, name: str) -> AuthorityCues:  # noqa: ARG001
    """Create the authority cue matcher."""
    return AuthorityCues(nlp)
