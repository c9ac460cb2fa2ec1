"""Each stage exports on purpose: every name in __all__ resolves, and nothing public is missed."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["transcribe", "extract", "signals", "models"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_resolve(name: str) -> None:
    module = importlib.import_module(name)
    assert len(set(module.__all__)) == len(module.__all__), f"{name}.__all__ repeats a name"
    for member in module.__all__:
        assert getattr(module, member) is not None, f"{name}.{member}"


def test_reading_transcripts_does_not_load_the_speech_stack() -> None:
    import subprocess
    import sys

    probe = "import sys, transcribe; transcribe.load_transcript; print('faster_whisper' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
