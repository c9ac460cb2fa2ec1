"""Turn a transcript into per-utterance views, spaCy docs and head inputs (shared by the
analyzer and by training, so both see exactly the same features)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from spacy.language import Language
from spacy.tokens import Doc

from extract import cues
from extract.engine import Encoder
from extract.features import UtteranceView, rule_features
from extract.pipeline import annotate
from extract.prototypes import Prototypes
from extract.sides import speaker_sides
from extract.speaker_names import NAMING_WINDOW
from transcribe.types import Transcript


@dataclass(frozen=True, slots=True)
class Represented:
    """A transcript as the extractors and heads see it."""

    views: list[UtteranceView]
    docs: list[Doc]  # tags/POS only in the first NAMING_WINDOW docs and docs with a TITLE (annotate)
    sides: dict[str, str]
    full: NDArray[np.float32]  # embeddings (utterance, previous, next) + rule features
    rules: NDArray[np.float32]
    proto: NDArray[np.float32]  # per objection category, max cosine to its prototype sentences
    tuned: NDArray[np.float32] | None = None  # the objection model's layer's vectors (extract.tuning)
    # training only: per utterance, the hidden states entering the encoder's last layer
    states: list[NDArray[np.float16]] = field(default_factory=list)


def represent(
    transcript: Transcript,
    nlp: Language,
    encoder: Encoder,
    prototypes: Prototypes | None = None,
    keep_states: bool = False,
) -> Represented:
    """Run spaCy and the encoder over every utterance, once.

    Args:
        transcript: the call.
        nlp: the pipeline from `extract.pipeline.build_nlp`.
        encoder: the sentence encoder (or a `NullEncoder`); with a tuned layer, its vectors too.
        prototypes: embedded objection prototypes (None: zero similarities).
        keep_states: keep the hidden states entering the last layer (to fine-tune it).

    Returns:
        Views, docs, sides and the head input matrices.
    """
    sides = speaker_sides(transcript)
    cleaned = [cues.clean(u.text) for u in transcript.utterances]
    # the encoder needs only the texts: it runs on its own threads while spaCy (one core) runs here
    with ThreadPoolExecutor(1, "represent") as pool:
        encoded = pool.submit(encode_with, encoder, cleaned, "states" if keep_states else "tuned")
        docs = parse(nlp, cleaned, transcript)
        emb, more = encoded.result()
    views = [
        UtteranceView(
            index=i,
            speaker=u.speaker,
            side=sides.get(u.speaker, "unknown"),
            text=u.text,
            clean=cleaned[i],
            due_text=doc._.due_text,
            authority=len(doc.spans["authority"]),
            people=len(doc.spans["people"]),
            titles=len(doc.spans["titles"]),
        )
        for i, (u, doc) in enumerate(zip(transcript.utterances, docs, strict=True))
    ]
    rules = rule_features(views)
    proto = prototypes.similarity(emb) if prototypes else np.zeros((len(views), 8), dtype=np.float32)
    return Represented(
        views=views,
        docs=docs,
        sides=sides,
        full=stack(emb, rules),
        rules=rules,
        proto=proto,
        tuned=more if not keep_states else None,
        states=more if keep_states else [],
    )


def parse(nlp: Language, texts: list[str], transcript: Transcript) -> list[Doc]:
    """Run spaCy over the utterances' cleaned texts (the call's date anchors the due dates)."""
    return annotate(nlp, _docs(nlp, texts, transcript), lambda i: i < NAMING_WINDOW)


def encode_unique(encoder: Encoder, texts: list[str]) -> NDArray[np.float32]:
    """Encode each distinct text once ("yeah", "okay" recur a lot in real calls)."""
    vectors: NDArray[np.float32] = encode_with(encoder, texts, "vectors")[0]
    return vectors


def encode_with(
    encoder: Encoder, texts: list[str], extra: Literal["vectors", "states", "tuned"]
) -> tuple[Any, Any]:
    """Encode each distinct text once; with `extra`, per text also its last layer's input
    states ("states") or the tuned layer's vectors ("tuned", None without a tuned layer)."""
    unique = sorted(set(texts))
    more: Any = None
    if extra == "states":
        vectors, more = encoder.encode_states(unique)
    elif extra == "tuned":
        vectors, more = encoder.encode_tuned(unique)
    else:
        vectors = encoder.encode(unique)
    row = {text: k for k, text in enumerate(unique)}
    rows = [row[t] for t in texts]
    emb = np.asarray(vectors[rows], dtype=np.float32)
    if more is None or extra == "vectors":
        return emb, None
    if extra == "states":
        return emb, [more[r] for r in rows] if more else []
    return emb, np.asarray(more[rows], dtype=np.float32)


def stack(emb: NDArray[np.float32], rules: NDArray[np.float32]) -> NDArray[np.float32]:
    """Concatenate each utterance's embedding with its neighbours' and its rule features."""
    zero = np.zeros((1, emb.shape[1]), dtype=np.float32)
    prev = np.vstack([zero, emb[:-1]]) if len(emb) else emb
    nxt = np.vstack([emb[1:], zero]) if len(emb) else emb
    return np.hstack([emb, prev, nxt, rules]).astype(np.float32)


def _docs(nlp: Language, texts: list[str], transcript: Transcript) -> list[Doc]:
    docs = []
    for text in texts:
        doc = nlp.make_doc(text)
        doc.user_data["call_date"] = transcript.date
        docs.append(doc)
    return docs
