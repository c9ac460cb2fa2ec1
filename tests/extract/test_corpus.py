"""Every labelled call in fixtures/corpus follows fixtures/corpus/GUIDELINES.md's file rules.

A label pointing at the wrong turn trains the heads on noise and skews every measure, so the
checks are strict. Also runnable on files before they join the corpus:
    .venv/bin/python tests/extract/test_corpus.py NEW_CALL.json ...
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from extract.objections import CATEGORIES
from extract.roles import DECIDING, ROLES

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"


def problems(call: dict[str, Any]) -> list[str]:
    """Return what is wrong with one labelled call (empty when it follows the rules)."""
    found: list[str] = []
    sides = {p["name"]: p.get("side", "unknown") for p in call["participants"]}
    turns = call["utterances"]
    if not _iso(call.get("date")):
        found.append(f"date {call.get('date')!r} is not an ISO date")
    if call.get("style") not in {"clean", "asr"}:
        found.append(f"style {call.get('style')!r} is neither clean nor asr")
    for i, turn in enumerate(turns):
        if turn["speaker"] not in sides:
            found.append(f"utterance {i}: speaker {turn['speaker']!r} is not a participant")
        if not str(turn["text"]).strip():
            found.append(f"utterance {i}: empty text")
        if turn.get("end") is not None and turn["end"] < turn["start"]:
            found.append(f"utterance {i}: ends before it starts")
        if i and turn["start"] < turns[i - 1]["start"]:
            found.append(f"utterance {i}: starts before the one before it")
    gold = call["gold"]
    for step in gold["next_steps"]:
        if not 0 <= step["utterance"] < len(turns):
            found.append(f"next step at {step['utterance']}: no such utterance")
        if step["owner_side"] not in {"rep", "buyer", "both"}:
            found.append(f"next step at {step['utterance']}: owner_side {step['owner_side']!r}")
        if step["due"] is not None and not _iso(step["due"]):
            found.append(f"next step at {step['utterance']}: due {step['due']!r} is not an ISO date")
    for objection in gold["objections"]:
        at = objection["utterance"]
        if not 0 <= at < len(turns):
            found.append(f"objection at {at}: no such utterance")
            continue
        if objection["category"] not in CATEGORIES:
            found.append(f"objection at {at}: category {objection['category']!r}")
        if sides.get(turns[at]["speaker"]) == "rep":
            found.append(f"objection at {at}: said by the rep side")
    for person in gold["stakeholders"]:
        if person["role"] not in ROLES:
            found.append(f"stakeholder {person['name']}: role {person['role']!r}")
        if person["decision_maker"] != (person["role"] in DECIDING):
            found.append(f"stakeholder {person['name']}: decision_maker disagrees with role {person['role']}")
        if sides.get(person["name"]) == "rep":
            found.append(f"stakeholder {person['name']}: on the rep side")
    return found


def _iso(value: object) -> bool:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def shared_turns(held_out: list[Path], train: list[Path], words: int = 6) -> list[str]:
    """Return the turns of `words` words or more in `held_out` that a `train` call also holds
    (case and punctuation aside): a dev sentence seen in training would flatter every dev figure."""
    seen = {_words(turn["text"]) for path in train for turn in _turns(path)}
    found = []
    for path in held_out:
        for i, turn in enumerate(_turns(path)):
            said = _words(turn["text"])
            if len(said.split()) >= words and said in seen:
                found.append(f"{path.name}: utterance {i} repeats a train turn: {turn['text']!r}")
    return found


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def _turns(path: Path) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["utterances"]
    return turns


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*/*.json")), ids=lambda p: p.stem)
def test_labelled_call_follows_the_guidelines(path: Path) -> None:
    assert problems(json.loads(path.read_text(encoding="utf-8"))) == []


def test_no_held_out_turn_repeats_a_train_turn() -> None:
    held_out = sorted(CORPUS.glob("dev/*.json")) + sorted(CORPUS.glob("short/*.json"))
    assert shared_turns(held_out, sorted(CORPUS.glob("train/*.json"))) == []


def test_a_repeated_turn_is_caught(tmp_path: Path) -> None:
    def call(name: str, *texts: str) -> Path:
        turns = [{"speaker": "B", "start": float(k), "text": t} for k, t in enumerate(texts)]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"utterances": turns}), encoding="utf-8")
        return path

    train = call("train", "Honestly, our spreadsheet does this fine.", "Okay.")
    dev = call("dev", "okay", "honestly our spreadsheet does this fine", "Our spreadsheet does this fine.")
    assert shared_turns([dev], [train]) == [
        "dev.json: utterance 1 repeats a train turn: 'honestly our spreadsheet does this fine'"
    ]


def test_a_label_on_the_reps_turn_is_caught() -> None:
    call: dict[str, Any] = {
        "date": "2026-03-02",
        "style": "clean",
        "participants": [{"name": "Rep", "side": "rep"}, {"name": "Buyer", "side": "buyer"}],
        "utterances": [
            {"speaker": "Rep", "start": 0.0, "end": 2.0, "text": "It is 40k a year."},
            {"speaker": "Buyer", "start": 2.5, "end": 4.0, "text": "That is too much."},
        ],
        "gold": {
            "next_steps": [],
            "objections": [{"utterance": 0, "category": "pricing"}],
            "stakeholders": [],
        },
    }
    assert problems(call) == ["objection at 0: said by the rep side"]
    call["gold"]["objections"] = [{"utterance": 1, "category": "pricing"}]
    assert problems(call) == []
    call["date"] = "next Tuesday"
    assert problems(call) == ["date 'next Tuesday' is not an ISO date"]


if __name__ == "__main__":
    failed = False
    for name in sys.argv[1:]:
        for problem in problems(json.loads(Path(name).read_text(encoding="utf-8"))):
            failed = True
            print(f"{name}: {problem}")
    sys.exit(1 if failed else 0)
