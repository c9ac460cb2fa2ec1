"""Quality floors on the dev split (measurement only: dev is never used for tuning)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extract.evaluate import evaluate

SCORER = Path("/work/shared/eval/score_insights.py")
# Measured minus a margin. Training data, features and thresholds are chosen by cross-validation
# on train (`python -m extract.crossval`), never by dev. Session 5 added 18 train calls: on the
# 52 calls there before (out of fold) they raised decision-makers 0.803 -> 0.824 and next steps
# 0.913 -> 0.917, objections level (0.768 / 0.767), while dev objections went 0.740 -> 0.694 and
# decision-makers 0.718 -> 0.683 (49 objections and 23 decision-makers: dev's noise). With the
# session's feature changes dev reads 0.877 / 0.714 / 0.932 / 0.714. Session 6's objection model
# (a fine-tuned encoder layer stacked with the linear head, chosen on train out-of-fold scores)
# reads objections 0.863. Session 7 (names in raw ASR text, sides, sign-off gates, a steadier
# authority head; heads retrained) reads 0.879 / 0.907 / 0.976 / 0.844. Session 8 added five dev
# calls whose objections are often crisp (the session-7 model found 7 of their 31) and 35 train
# calls like them: the 21 dev calls read 0.920 / 0.815 / 0.943 / 0.871. Session 9 (names and
# authority cues said in the first person; heads retrained) reads 0.921 / 0.821 / 0.969 / 0.903.
# Session 10 (the objection model's threshold on the confidence, a soup of two fine-tuning runs)
# reads objections 0.836. Session 11 (48 train calls of objection near-misses, chosen on train out of
# fold: objections 0.853 -> 0.858) reads 0.919 / 0.832 / 0.969 / 0.906. Session 12 (24 train calls of
# objections said flatly; the objection model's inner out of fold on the 198 calls before them
# 0.853 -> 0.868) reads 0.941 / 0.814 / 0.969 / 0.921, and objections 0.807 once a blind audit added
# four labels the older dev calls had left out (session 11's heads: 0.824): the objection floor
# moves to 0.79 so the margin still covers a CPU's worth of drift (one objection moves F1 ~0.006).
# The int8 encoder's embeddings differ slightly between CPUs, so the margins also cover the machine.
FLOORS = {
    "next_steps": 0.85,
    "objections": 0.79,
    "stakeholders": 0.93,
    "decision_makers": 0.85,
}


@pytest.mark.slow
def test_dev_quality(analyzer, dev_dir, tmp_path) -> None:
    if not SCORER.exists() or not any(dev_dir.glob("*.json")):
        pytest.skip("dev split or scorer not available")
    evaluate(dev_dir, tmp_path, analyzer)
    done = subprocess.run(
        [sys.executable, str(SCORER), str(dev_dir), "--pred-dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    f1 = json.loads(done.stdout)["f1"]
    for name, floor in FLOORS.items():
        assert f1[name] >= floor, f"{name} F1 {f1[name]:.3f} < {floor}"
