"""Group speaker embeddings into speakers, estimating how many there are when not told.

Agglomerative clustering with average linkage on cosine distance, tried for every count from
2 up to `max_speakers`; the count with the best silhouette wins. A recording whose best
silhouette stays low, or whose windows all sound alike, is one speaker: silhouette cannot
score a single cluster, so that case needs its own test.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import silhouette_score

MAX_SPEAKERS = 6
# Below this best silhouette the "clusters" are noise inside one voice (tuned on JFK, AMI and
# the synthetic calls: one-speaker audio scores under 0.1, real two-party audio above 0.15).
MIN_SILHOUETTE = 0.12
# Windows of one voice rarely drop below this cosine similarity to the recording's mean voice.
SAME_VOICE_SIMILARITY = 0.80

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
    if count < 2 or speakers == 1:
        return np.zeros(count, dtype=np.int64)
    if speakers is not None:
        return _agglomerate(embeddings, min(speakers, count))
    if _one_voice(embeddings):
        return np.zeros(count, dtype=np.int64)
    best_labels, best_score = np.zeros(count, dtype=np.int64), MIN_SILHOUETTE
    for k in range(2, min(max_speakers, count - 1) + 1):
        labels = _agglomerate(embeddings, k)
        score = float(silhouette_score(embeddings, labels, metric="cosine"))
        if score > best_score:
            best_labels, best_score = labels, score
    return best_labels


def _agglomerate(embeddings: FloatArray, k: int) -> IntArray:
    model = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average")
    return np.asarray(model.fit_predict(embeddings), dtype=np.int64)


def _one_voice(embeddings: FloatArray) -> bool:
    centroid = embeddings.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-8)
    similarity = embeddings @ centroid
    return bool(np.quantile(similarity, 0.05) >= SAME_VOICE_SIMILARITY)
