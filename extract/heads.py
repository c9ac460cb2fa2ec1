"""Trained linear heads: logistic-regression weights + Platt calibration, stored as .npz + JSON.

heads/<variant>.npz      arrays "<head>.coef", "<head>.intercept", "<head>.platt"
heads/manifest.json      classes, thresholds, feature names, data hash, versions
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from extract.errors import ModelLoadError

HEADS_DIR = Path(__file__).resolve().parent / "heads"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class LinearHead:
    """A logistic-regression head. Binary heads have one row of `coef` and a Platt pair."""

    name: str
    classes: tuple[str, ...]
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    platt: NDArray[np.float64] = field(default_factory=lambda: np.array([1.0, 0.0]))
    threshold: float = 0.5
    c: float | None = None  # the regularisation it was fitted with (training only: not saved)

    def scores(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """Return raw decision values, shape (n, rows of coef)."""
        return np.asarray(x, dtype=np.float64) @ self.coef.T + self.intercept

    def proba(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """Binary: calibrated P(positive), shape (n,). Multiclass: softmax, shape (n, classes)."""
        z = self.scores(x)
        if len(self.classes) <= 2:
            a, b = self.platt
            return np.asarray(1.0 / (1.0 + np.exp(-(a * z[:, 0] + b))), dtype=np.float64)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))


@dataclass(frozen=True, slots=True)
class HeadSet:
    """All heads of one input variant ("full": embeddings + rules, "rules": rules only)."""

    variant: str
    heads: dict[str, LinearHead]

    def __getitem__(self, name: str) -> LinearHead:
        return self.heads[name]


def save_heads(out_dir: Path, sets: list[HeadSet], manifest: dict[str, Any]) -> None:
    """Write one .npz per variant and the manifest (thresholds and classes included)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {}
    for hs in sets:
        arrays: dict[str, NDArray[np.float64]] = {}
        for name, head in sorted(hs.heads.items()):
            arrays[f"{name}.coef"] = head.coef.astype(np.float32).astype(np.float64)
            arrays[f"{name}.intercept"] = head.intercept
            arrays[f"{name}.platt"] = head.platt
            meta.setdefault(hs.variant, {})[name] = {
                "classes": list(head.classes),
                "threshold": head.threshold,
            }
        np.savez_compressed(out_dir / f"{hs.variant}.npz", **arrays)  # type: ignore[arg-type]
    manifest = dict(manifest, heads=meta)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def load_heads(heads_dir: Path, variant: str) -> tuple[HeadSet, dict[str, Any]]:
    """Load one variant's heads and the manifest."""
    try:
        manifest: dict[str, Any] = json.loads((heads_dir / MANIFEST).read_text())
        arrays = np.load(heads_dir / f"{variant}.npz")
        heads = {
            name: LinearHead(
                name=name,
                classes=tuple(info["classes"]),
                coef=arrays[f"{name}.coef"],
                intercept=arrays[f"{name}.intercept"],
                platt=arrays[f"{name}.platt"],
                threshold=float(info["threshold"]),
            )
            for name, info in manifest["heads"][variant].items()
        }
    except (OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"cannot load trained heads '{variant}' from {heads_dir}: {exc}") from exc
    return HeadSet(variant=variant, heads=heads), manifest
