"""`dealsignal_due_dates`: resolve the due date said in an utterance against the call's date.

The call's date is read from `doc.user_data["call_date"]`; the result is `doc._.due`
(a `datetime.date` or None) and `doc._.due_text` (the words that said it).
"""

from __future__ import annotations

import datetime as dt

from spacy.language import Language
from spacy.tokens import Doc

from extract.dates import find_due

if not Doc.has_extension("due"):
    Doc.set_extension("due", default=None)
    Doc.set_extension("due_text", default=None)


class DueDateResolver:
    """Set `doc._.due` from date expressions ("by Friday", "end of next week")."""

    def __call__(self, doc: Doc) -> Doc:
        anchor = doc.user_data.get("call_date")
        if isinstance(anchor, dt.date):
            doc._.due, doc._.due_text = find_due(doc.text, anchor)
        return doc


@Language.factory("dealsignal_due_dates", assigns=["doc._.due", "doc._.due_text"])
def make_due_dates(nlp: Language, name: str) -> DueDateResolver:  # noqa: ARG001
    """Create the due-date resolver (`dealsignal.date_resolver.v1` logic in extract.dates)."""
    return DueDateResolver()
