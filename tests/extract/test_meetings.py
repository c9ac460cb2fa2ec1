"""The meeting action-item head (extract.meetings): inputs, threshold counting, training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from extract.engine import DIM, NullEncoder
from extract.features import FEATURES
from extract.meetings import MEETING_RULES, _matched, load_meeting_head, meeting_inputs, train_meetings


def test_inputs_carry_the_mean_of_the_neighbours() -> None:
    n = 3
    own = np.arange(n * DIM, dtype=np.float32).reshape(n, DIM)
    rules = np.ones((n, len(FEATURES)), dtype=np.float32)
    x = meeting_inputs(np.hstack([own, rules]), rules)
    assert x.shape == (n, 2 * DIM + len(MEETING_RULES))
    np.testing.assert_allclose(x[1, DIM : 2 * DIM], (own[0] + own[2]) / 2)
    np.testing.assert_allclose(x[0, DIM : 2 * DIM], own[1] / 2)  # nothing before the first utterance
    assert meeting_inputs(np.zeros((0, DIM + len(FEATURES)), np.float32), rules[:0]).shape[0] == 0


def test_predicted_items_match_gold_one_to_one_within_one_utterance() -> None:
    assert _matched([10, 11], [[10]]) == 1  # two predictions, one item
    assert _matched([12], [[10, 11]]) == 1  # an item spans several utterances
    assert _matched([13], [[10, 11]]) == 0
    assert _matched([5, 20], [[4], [21], [40]]) == 2


def _meeting(folder: Path, name: str, lines: list[str], items: list[int]) -> None:
    utterances = [
        {"speaker": f"S{i % 3}", "start": 2.0 * i, "end": 2.0 * i + 1.5, "text": text}
        for i, text in enumerate(lines)
    ]
    participants = [{"name": f"S{k}", "side": "unknown"} for k in range(3)]
    call = {
        "id": name,
        "date": "2026-03-02",
        "participants": participants,
        "utterances": utterances,
        "gold": {"next_steps": [{"utterance": i} for i in items]},
    }
    (folder / f"{name}.json").write_text(json.dumps(call))


def test_training_is_deterministic_and_the_head_loads(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    chatter = ["so what do we think about the colour", "i like the yellow one", "yeah it looks fine"]
    for k in range(6):
        lines = [*chatter, "okay so you'll send the costing to everyone by friday", *chatter]
        _meeting(calls, f"m{k}", lines, [3])
    first = train_meetings(calls, tmp_path / "a", encoder=NullEncoder())
    second = train_meetings(calls, tmp_path / "b", encoder=NullEncoder())
    assert first == second and 0.05 <= first["threshold"] < 0.95
    a, b = np.load(tmp_path / "a" / "meeting.npz"), np.load(tmp_path / "b" / "meeting.npz")
    assert np.array_equal(a["coef"], b["coef"])
    head = load_meeting_head(tmp_path / "a")
    assert head is not None and head.threshold == first["threshold"]
