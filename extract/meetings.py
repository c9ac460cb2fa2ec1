"""Action items in meetings with no sales sides (e.g. AMI design meetings).

Sales-call heads do not transfer to team meetings ("you're gonna be working on the
components"), so a separate head is trained on meeting transcripts (AMI train split) with
negatives subsampled and the intercept corrected for the sampling rate. Its input is the
utterance embedding plus the rule features.

    train_meetings(Path("ami_train_calls"), Path("extract/heads"))   # -> heads/meeting.npz
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from extract import cues
from extract.corpus import read_transcript
from extract.engine import DIM, Encoder, MiniLMEncoder
from extract.features import FEATURES, OBJECTION_CUES, UtteranceView, rule_features
from extract.heads import LinearHead
from extract.sides import speaker_sides

RATE = 0.08  # share of negative utterances kept for training
MEETING_FILE = "meeting.npz"


# action items in meetings do not read the objection cues (on AMI train they leave the head's
# out-of-fold F1 unchanged), so the meeting head does not take them
MEETING_RULES = [k for k, name in enumerate(FEATURES) if name not in OBJECTION_CUES]


def meeting_inputs(full: NDArray[np.float32], rules: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return the meeting head's input: the utterance's own embedding and its rule features."""
    return np.hstack([full[:, :DIM], rules[:, MEETING_RULES]]).astype(np.float32)


def suppress(proba: NDArray[np.float64], threshold: float, window: int = 2) -> list[int]:
    """Return indexes over `threshold` that are the local maximum within `window`."""
    keep = []
    for i in np.flatnonzero(proba >= threshold):
        lo, hi = max(0, i - window), min(len(proba), i + window + 1)
        if proba[i] >= proba[lo:hi].max():
            keep.append(int(i))
    return keep


def train_meetings(calls_dir: Path, out_dir: Path, encoder: Encoder | None = None) -> dict[str, Any]:
    """Train the meeting action-item head and write heads/meeting.npz + meeting.json."""
    rng = np.random.default_rng(0)
    enc = encoder or MiniLMEncoder(quantize=True)  # the analyzer's default encoder, as for the call heads
    xs, ys, groups = [], [], []
    for group, path in enumerate(sorted(calls_dir.glob("*.json"))):
        call = json.loads(path.read_text(encoding="utf-8"))
        spots = {i for s in call["gold"]["next_steps"] for i in s.get("utterances") or [s["utterance"]]}
        transcript = read_transcript(call, path.stem)
        sides = speaker_sides(transcript)
        views = [
            UtteranceView(i, u.speaker, sides.get(u.speaker, "unknown"), u.text, cues.clean(u.text))
            for i, u in enumerate(transcript.utterances)
        ]
        keep = [i for i in range(len(views)) if i in spots or rng.random() < RATE]
        rules = rule_features(views)[keep][:, MEETING_RULES]
        emb = enc.encode([views[i].clean for i in keep])
        xs.append(np.hstack([emb, rules]))
        ys += [int(i in spots) for i in keep]
        groups += [group] * len(keep)
    x, y = np.vstack(xs).astype(np.float32), np.asarray(ys)
    head = _fit(x, y)
    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=3).split(x, y, np.asarray(groups)):
        oof[te] = _fit(x[tr], y[tr]).proba(x[te])
    threshold = _threshold(oof, y)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_dir / MEETING_FILE, coef=head.coef, intercept=head.intercept)
    meta = {"threshold": threshold, "rate": RATE, "rows": int(len(y)), "positives": int(y.sum())}
    (out_dir / "meeting.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def _fit(x: NDArray[np.float32], y: NDArray[np.int64]) -> LinearHead:
    model = LogisticRegression(C=0.5, max_iter=3000, random_state=0).fit(x, y)
    intercept = model.intercept_ + np.log(RATE)  # undo the negative subsampling
    return LinearHead("meeting_next_step", ("no", "yes"), model.coef_.astype(np.float64), intercept)


def _threshold(p: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    """Pick the out-of-fold F1-best threshold, negatives re-weighted to their natural frequency."""
    best = (0.5, -1.0)
    for t in np.arange(0.05, 0.95, 0.025):
        tp = float(((p >= t) & (y == 1)).sum())
        fp = float(((p >= t) & (y == 0)).sum()) / RATE
        fn = float(((p < t) & (y == 1)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[1]:
            best = (round(float(t), 3), f1)
    return best[0]


def load_meeting_head(heads_dir: Path) -> LinearHead | None:
    """Load the meeting head, or None when it was not trained."""
    try:
        arrays = np.load(heads_dir / MEETING_FILE)
        meta = json.loads((heads_dir / "meeting.json").read_text())
    except OSError:
        return None
    return LinearHead(
        "meeting_next_step",
        ("no", "yes"),
        arrays["coef"],
        arrays["intercept"],
        threshold=float(meta["threshold"]),
    )
