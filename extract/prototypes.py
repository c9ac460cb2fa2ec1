"""Objection category prototypes: a few hand-written example sentences per category
(patterns/objection_prototypes.jsonl), embedded once; an utterance's similarity to each
category's closest prototype is an extra input of the category head."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from extract.engine import Encoder

PROTOTYPES = Path(__file__).resolve().parent / "patterns" / "objection_prototypes.jsonl"
CATEGORIES = ("pricing", "timing", "authority", "need", "competition", "security", "integration", "contract")
SCALE = 10.0  # similarities live in a narrow band; scaling lets the L2-regularised head use them


class Prototypes:
    """Embedded prototype sentences, grouped by category."""

    def __init__(self, encoder: Encoder, path: Path = PROTOTYPES) -> None:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        self.labels = np.asarray([CATEGORIES.index(r["category"]) for r in rows])
        self.vectors = encoder.encode([r["text"] for r in rows])

    def similarity(self, emb: NDArray[np.float32]) -> NDArray[np.float32]:
        """Return (n, 8): per category, the max cosine between each embedding and its prototypes."""
        sims = emb @ self.vectors.T
        cols = [sims[:, self.labels == k].max(axis=1) for k in range(len(CATEGORIES))]
        return np.stack(cols, axis=1).astype(np.float32) if len(emb) else np.zeros((0, 8), dtype=np.float32)


def category_inputs(x: NDArray[np.float32], proto: NDArray[np.float32], variant: str) -> NDArray[np.float32]:
    """Return the category head's input: the head input plus scaled similarities (full variant)."""
    return np.hstack([x, proto * SCALE]).astype(np.float32) if variant == "full" else x
