"""Paths to test audio and one Whisper engine shared by the whole session."""

from __future__ import annotations

import json
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def audio_fixtures() -> Path:
    """The synthetic calls committed under fixtures/audio (see make_recordings.sh)."""
    return REPO_ROOT / "fixtures" / "audio"


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    """Real speech shared between projects: ../shared/data/audio next to the repository."""
    path = REPO_ROOT.parent / "shared" / "data" / "audio"
    if not path.is_dir():
        pytest.skip(f"shared audio not found at {path} (JFK, stereo and AMI clips live there)")
    return path


@pytest.fixture(scope="session")
def references(shared_audio: Path) -> dict[str, dict[str, object]]:
    """Reference texts for the faster-whisper test clips."""
    data: dict[str, dict[str, object]] = json.loads(
        (shared_audio / "faster-whisper-tests" / "references.json").read_text()
    )
    return data


@pytest.fixture(scope="session")
def engine():  # -> WhisperEngine; loaded once because the model takes seconds
    from transcribe.engine import WhisperEngine, default_model_dir

    try:
        default_model_dir()
    except Exception as exc:  # no bundled model: nothing here can run
        pytest.skip(f"Whisper model unavailable: {exc}")
    return WhisperEngine()


WriteWav = Callable[..., Path]


@pytest.fixture
def write_wav(tmp_path: Path) -> WriteWav:
    """Write float samples (channels, n) or (n,) as 16-bit PCM WAV in tmp_path; return the path."""

    def write(name: str, samples: np.ndarray, rate: int = 16_000) -> Path:
        data = np.atleast_2d(np.asarray(samples, dtype=np.float64))
        pcm = (np.clip(data, -1.0, 1.0) * 32767).astype("<i2").T.copy()
        path = tmp_path / name
        with wave.open(str(path), "wb") as handle:
            handle.setnchannels(data.shape[0])
            handle.setsampwidth(2)
            handle.setframerate(rate)
            handle.writeframes(pcm.tobytes())
        return path

    return write
