"""Session fixtures: the models load once per test session."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from extract.analyzer import Analyzer, ExtractOptions
from transcribe.types import Participant, Side, Transcript, Utterance

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "fixtures" / "corpus" / "train"


def train_corpus(folder: Path, n: int) -> Path:
    """Copy the first `n` train calls into `folder`/corpus (the test is skipped without them)."""
    files = sorted(TRAIN.glob("*.json"))[:n]
    if len(files) < n:
        pytest.skip("train split not available")
    corpus = folder / "corpus"
    corpus.mkdir()
    for f in files:
        shutil.copy(f, corpus / f.name)
    return corpus


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer.load(ExtractOptions(threads=2))


@pytest.fixture(scope="session")
def rules_analyzer() -> Analyzer:
    return Analyzer.load(ExtractOptions(use_encoder=False))


@pytest.fixture(scope="session")
def dev_dir() -> Path:
    return ROOT / "fixtures" / "corpus" / "dev"


def make_call(
    lines: list[tuple[str, str]], sides: dict[str, Side], date: dt.date = dt.date(2026, 3, 2)
) -> Transcript:
    """Build a transcript from (speaker, text) lines, 2.5 words/s with 0.5 s gaps."""
    t = 0.0
    utts = []
    for speaker, text in lines:
        dur = max(1.0, len(text.split()) / 2.5)
        utts.append(Utterance(speaker=speaker, start=t, end=t + dur, text=text))
        t += dur + 0.5
    people = tuple(Participant(name=n, side=s) for n, s in sides.items())
    return Transcript(date=date, participants=people, utterances=tuple(utts), id="t")
