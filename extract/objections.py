"""Objections: buyer concerns that stand in the way of the deal, in 8 categories.

The objection model (`extract.tuning`: a fine-tuned encoder layer stacked with the linear head)
finds and names them, and reports a turn when P(objection) x P(its category) reaches its
threshold; without the encoder a binary head finds them and a category head names them. An
objection is `addressed` when a rep answered it and the buyer then accepted the answer ("Oh okay,
that works").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from extract import cues
from extract.features import UtteranceView
from extract.types import Objection

CATEGORIES = ("pricing", "timing", "authority", "need", "competition", "security", "integration", "contract")


def extract_objections(
    views: list[UtteranceView],
    proba: NDArray[np.float64],
    category_proba: NDArray[np.float64],
    threshold: float,
    on_confidence: bool = False,
) -> tuple[Objection, ...]:
    """Return objections raised by buyer-side (or unknown-side) speakers.

    Args:
        views: utterance views.
        proba: P(objection) per utterance.
        category_proba: per utterance, probabilities over CATEGORIES.
        threshold: decision threshold from the manifest.
        on_confidence: the threshold applies to the objection's confidence, P(objection) times
            P(its category), rather than to P(objection) alone (the objection model's is fitted so).
    """
    sure = confidence(proba, category_proba)
    out = []
    for i in _raised(views, sure if on_confidence else proba, threshold):
        v = views[i]
        k = int(np.argmax(category_proba[i]))
        accepted_at = addressed_at(views, i)
        out.append(
            Objection(
                utterance=i,
                category=CATEGORIES[k],
                text=v.text,
                addressed=accepted_at is not None,
                confidence=round(float(sure[i]), 3),
                addressed_by=accepted_at,
            )
        )
    return tuple(out)


def confidence(proba: NDArray[np.float64], category_proba: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per utterance, P(objection) times P(its most likely category): how sure an objection of
    that category is (the contract's `confidence`)."""
    return np.asarray(proba * category_proba.max(axis=1))


def _raised(views: list[UtteranceView], proba: NDArray[np.float64], threshold: float) -> list[int]:
    """The non-rep turns at or above the threshold; of two adjacent ones only the likelier is kept:
    a buyer who goes on about one concern in a second turn raised one objection, not two."""
    kept: list[int] = []
    for i, v in enumerate(views):
        if v.side == "rep" or proba[i] < threshold:
            continue
        if kept and i - kept[-1] == 1:
            if proba[i] > proba[kept[-1]]:
                kept[-1] = i
            continue
        kept.append(i)
    return kept


def addressed_at(views: list[UtteranceView], i: int, horizon: int = 5) -> int | None:
    """Return the buyer utterance accepting a rep's answer to objection `i`, if any."""
    buyer = views[i].side
    answered = False
    for w in views[i + 1 : i + 1 + horizon]:
        if w.side == "rep" or (buyer == "unknown" and w.speaker != views[i].speaker):
            answered = True
            continue
        if w.side != buyer and buyer != "unknown":
            continue
        if not answered:
            continue
        head = " ".join(w.clean.split()[:12])
        if cues.ACCEPTANCE.search(head) and not cues.count(cues.CONCERN, head.replace("but", "")) > 1:
            return w.index
        if cues.count(cues.CONCERN, w.clean) or "?" in w.text:
            return None
    return None
