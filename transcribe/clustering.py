"""Group speaker embeddings into speakers, estimating how many there are when not told.

1. One voice? If nearly every window sounds like the recording's average voice (cosine
   similarity to the mean embedding at or above 0.85 for 95 % of windows), it is one speaker:
   silhouette cannot score a single cluster, so this case needs its own test.
2. Otherwise the mean embedding is subtracted before clustering. What all windows share is
   mostly the room, the microphone and the codec; removing it leaves what tells voices apart
   (on the AMI clips this halves the error with a known speaker count).
3. Fewer than MIN_WINDOWS_TO_SPLIT windows (about five seconds of speech) stay one speaker.
4. Ward clustering is tried for every count from 2 to `max_speakers`; the smallest count whose
   silhouette is within `_SLACK` of the best wins (ignoring counts that leave a speaker with a
   single window), because extra clusters in a short call are far more often one voice split
   by noise than a silent extra participant.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import silhouette_score

MAX_SPEAKERS = 6
# Tuned on JFK (one voice: 0.86), the synthetic calls (two voices: 0.78-0.80) and AMI.
SAME_VOICE_SIMILARITY = 0.85
_SAME_VOICE_QUANTILE = 0.05
_SLACK = 0.1
# A few seconds of speech is too little to tell voices apart reliably: one speaker, unless told.
MIN_WINDOWS_TO_SPLIT = 6
# A "speaker" heard in a single window is more often a cough, a laugh or a noisy stretch.
_MIN_CLUSTER_WINDOWS = 2
# Below this best silhouette the "clusters" are noise inside one voice.
MIN_SILHOUETTE = 0.12

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


def cluster_speakers(
    embeddings: FloatArray, speakers: int | None = None, max_speakers: int = MAX_SPEAKERS
) -> IntArray:
    """Label each embedding row with a speaker index (0-based, arbitrary order).

    Args:
        embeddings: (n, d) L2-normalised speaker embeddings.
        speakers: the known number of speakers; None estimates it within 1..max_speakers.
        max_speakers: upper bound of the estimate.

    Returns:
        (n,) integer labels.
    """
    count = len(embeddings)
    if speakers is None and (count < MIN_WINDOWS_TO_SPLIT or _one_voice(embeddings)):
        return np.zeros(count, dtype=np.int64)
    if count < 2 or speakers == 1:
        return np.zeros(count, dtype=np.int64)
    centred = _centre(embeddings)
    if speakers is not None:
        return _ward(centred, min(speakers, count))
    scored: list[tuple[float, IntArray]] = []
    for k in range(2, min(max_speakers, count - 1) + 1):
        labels = _ward(centred, k)
        if np.bincount(labels).min() >= _MIN_CLUSTER_WINDOWS:
            scored.append((float(silhouette_score(centred, labels, metric="cosine")), labels))
    best = max((score for score, _ in scored), default=0.0)
    if best < MIN_SILHOUETTE:
        return np.zeros(count, dtype=np.int64)
    return next(labels for score, labels in scored if score >= best - _SLACK)


def _ward(embeddings: FloatArray, k: int) -> IntArray:
    model = AgglomerativeClustering(n_clusters=k, linkage="ward")
    return np.asarray(model.fit_predict(embeddings), dtype=np.int64)


def _centre(embeddings: FloatArray) -> FloatArray:
    centred = embeddings - embeddings.mean(axis=0, keepdims=True)
    norms = np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-8)
    return np.asarray(centred / norms, dtype=np.float32)


def _one_voice(embeddings: FloatArray) -> bool:
    centroid = embeddings.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-8)
    similarity = embeddings @ centroid
    return bool(np.quantile(similarity, _SAME_VOICE_QUANTILE) >= SAME_VOICE_SIMILARITY)
