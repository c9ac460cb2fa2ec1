"""Diarization error rate (DER), frame-based, for the benchmark and the tests.

DER = (missed speech + false alarm + speaker confusion) / reference speech, counted on 10 ms
frames, with the hypothesis speakers mapped one-to-one onto the reference speakers so that
overlap time is maximised (Hungarian assignment), as in NIST md-eval and pyannote.metrics.
A collar around every reference boundary is left out of scoring, and overlapped reference
speech counts once per speaker (a one-speaker hypothesis misses the other voices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

Turn = tuple[float, float, str]  # start s, end s, speaker
_STEP = 0.01


@dataclass(frozen=True, slots=True)
class DiarizationScore:
    """DER and its parts, in seconds of scored reference speech."""

    reference_s: float
    missed_s: float
    false_alarm_s: float
    confusion_s: float

    @property
    def der(self) -> float:
        """The error rate (0 when there is no reference speech)."""
        errors = self.missed_s + self.false_alarm_s + self.confusion_s
        return errors / self.reference_s if self.reference_s else 0.0


def diarization_error(
    reference: Sequence[Turn], hypothesis: Sequence[Turn], *, duration: float, collar: float = 0.25
) -> DiarizationScore:
    """Score `hypothesis` turns against `reference` turns over [0, duration) seconds."""
    frames = int(round(duration / _STEP))
    ref, ref_names = _activity(reference, frames)
    hyp, _ = _activity(hypothesis, frames)
    scored = _scored_frames(reference, frames, collar)
    ref, hyp = ref[:, scored], hyp[:, scored]
    ref_count, hyp_count = ref.sum(axis=0), hyp.sum(axis=0)
    missed = np.maximum(ref_count - hyp_count, 0).sum()
    false_alarm = np.maximum(hyp_count - ref_count, 0).sum()
    overlap = ref.astype(np.int64) @ hyp.T.astype(np.int64) if len(ref_names) and len(hyp) else None
    matched = 0
    if overlap is not None and overlap.size:
        rows, cols = linear_sum_assignment(-overlap)
        matched = int(overlap[rows, cols].sum())
    correct_possible = np.minimum(ref_count, hyp_count).sum()
    return DiarizationScore(
        reference_s=float(ref_count.sum()) * _STEP,
        missed_s=float(missed) * _STEP,
        false_alarm_s=float(false_alarm) * _STEP,
        confusion_s=float(correct_possible - matched) * _STEP,
    )


def _activity(turns: Sequence[Turn], frames: int) -> tuple[npt.NDArray[np.bool_], list[str]]:
    names = sorted({speaker for _, _, speaker in turns})
    active = np.zeros((len(names), frames), dtype=np.bool_)
    for start, end, speaker in turns:
        lo, hi = int(round(start / _STEP)), int(round(end / _STEP))
        active[names.index(speaker), max(lo, 0) : min(hi, frames)] = True
    return active, names


def _scored_frames(reference: Sequence[Turn], frames: int, collar: float) -> npt.NDArray[np.bool_]:
    scored = np.ones(frames, dtype=np.bool_)
    width = int(round(collar / _STEP))
    for start, end, _ in reference:
        for edge in (int(round(start / _STEP)), int(round(end / _STEP))):
            scored[max(edge - width, 0) : min(edge + width, frames)] = False
    return scored


def read_rttm(text: str, file_id: str) -> list[Turn]:
    """Parse the SPEAKER lines of an RTTM document that belong to `file_id`."""
    turns: list[Turn] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER" and fields[1] == file_id:
            start, length = float(fields[3]), float(fields[4])
            turns.append((start, start + length, fields[7]))
    return turns
