"""Fit logistic-regression heads with grouped cross-validation, Platt calibration and a tuned threshold."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from extract.heads import LinearHead


def _folds(groups: NDArray[np.int64]) -> GroupKFold:
    return GroupKFold(n_splits=max(2, min(5, len(set(groups.tolist())))))


def logistic(c: float, balanced: bool) -> LogisticRegression:
    """The logistic regression every binary head is fitted with."""
    return LogisticRegression(
        C=c, max_iter=3000, class_weight="balanced" if balanced else None, random_state=0
    )


def fit_binary(
    name: str,
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    groups: NDArray[np.int64],
    c: float | tuple[float, ...],
) -> tuple[LinearHead, float]:
    """Fit a binary head; calibrate on out-of-fold scores; pick the F1-best threshold.

    Args:
        c: the inverse regularisation strength, or several: the one with the best
            out-of-fold F1 is kept (ties go to the stronger regularisation).

    Returns:
        The head and its out-of-fold F1 at the chosen threshold.
    """
    best: tuple[float, float, float, float, float] | None = None  # f1, -c, threshold, a, b
    for value in sorted(c) if isinstance(c, tuple) else (c,):
        oof = np.zeros(len(y))
        for tr, te in _folds(groups).split(x, y, groups):
            if y[tr].sum() == 0:
                continue
            oof[te] = logistic(value, True).fit(x[tr], y[tr]).decision_function(x[te])
        platt = LogisticRegression(C=1e4, max_iter=1000).fit(oof.reshape(-1, 1), y)
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        prob = 1.0 / (1.0 + np.exp(-(a * oof + b)))
        threshold, f1 = best_threshold(prob, y)
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, -value, threshold, a, b)
    assert best is not None
    f1, c_best, threshold, a, b = best[0], -best[1], best[2], best[3], best[4]
    full = logistic(c_best, True).fit(x, y)
    head = LinearHead(
        name=name,
        classes=("no", "yes"),
        coef=full.coef_.astype(np.float64),
        intercept=full.intercept_.astype(np.float64),
        platt=np.array([a, b]),
        threshold=threshold,
        c=c_best,
    )
    return head, f1


def best_threshold(prob: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    """Return the threshold (on a 0.05 grid) with the best F1, and that F1."""
    return best_joint_threshold(prob, y == 1, int((y == 1).sum()))


def best_joint_threshold(
    joint: NDArray[np.float64], named_right: NDArray[np.bool_], positives: int
) -> tuple[float, float]:
    """Return the threshold (on a 0.05 grid) on P(label) x P(its most likely class) with the best
    F1 when a hit counts only if the class is right, and that F1.

    Args:
        joint: per item, P(label) times the probability of its most likely class.
        named_right: per item, True when it has the label and that class is its gold class.
        positives: how many items have the label.
    """
    best = (0.5, -1.0)
    for t in np.arange(0.1, 0.91, 0.05):
        pred = joint >= t
        tp = float((pred & named_right).sum())
        f1 = 2 * tp / (pred.sum() + positives) if pred.sum() + positives else 0.0
        if f1 > best[1] + 1e-9:
            best = (round(float(t), 2), f1)
    return best


def fit_multiclass(
    name: str,
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    groups: NDArray[np.int64],
    classes: tuple[str, ...],
) -> tuple[LinearHead, float]:
    """Fit a multinomial head over all `classes` (absent classes get a very low prior)."""
    oof_right = 0
    for tr, te in _folds(groups).split(x, y, groups):
        model = LogisticRegression(C=1.0, max_iter=3000, random_state=0).fit(x[tr], y[tr])
        oof_right += int((model.predict(x[te]) == y[te]).sum())
    model = LogisticRegression(C=1.0, max_iter=3000, random_state=0).fit(x, y)
    coef = np.zeros((len(classes), x.shape[1]))
    intercept = np.full(len(classes), -30.0)
    for row, k in enumerate(model.classes_):
        coef[int(k)] = (
            model.coef_[row] if len(model.classes_) > 2 else (model.coef_[0] * (1 if row else -1)) / 2
        )
        intercept[int(k)] = (
            model.intercept_[row] if len(model.classes_) > 2 else model.intercept_[0] * (1 if row else -1) / 2
        )
    head = LinearHead(name=name, classes=classes, coef=coef, intercept=intercept)
    return head, oof_right / max(1, len(y))
