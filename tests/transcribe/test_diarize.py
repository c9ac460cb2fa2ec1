"""Mono diarization: embeddings, clustering, DER (transcribe.diarize, clustering, metrics, voice)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from transcribe.audio import decode_audio
from transcribe.clustering import cluster_speakers
from transcribe.diarize import Diarizer, SpeakerTurn, detect_speech, speaker_at
from transcribe.metrics import diarization_error, read_rttm
from transcribe.voice import VoiceEncoder, mel_filters


@pytest.fixture(scope="module")
def diarizer() -> Diarizer:
    return Diarizer()


def _diarize(diarizer: Diarizer, path: Path, speakers: int | None = None) -> tuple[SpeakerTurn, ...]:
    samples = decode_audio(path).mean(axis=0)
    return diarizer.diarize(samples, detect_speech(samples), speakers)


# -- metric ---------------------------------------------------------------------------------

REFERENCE = [(0.0, 4.0, "A"), (4.0, 8.0, "B")]


def test_der_is_zero_for_a_perfect_hypothesis_whatever_the_labels():
    hypothesis = [(0.0, 4.0, "x"), (4.0, 8.0, "y")]

    assert diarization_error(REFERENCE, hypothesis, duration=8.0, collar=0.0).der == 0.0


def test_der_counts_missed_false_alarm_and_confusion():
    hypothesis = [(0.0, 6.0, "x"), (9.0, 10.0, "y")]  # B's first 2 s confused, B's last 2 s missed

    score = diarization_error(REFERENCE, hypothesis, duration=10.0, collar=0.0)

    assert score.confusion_s == pytest.approx(2.0)
    assert score.missed_s == pytest.approx(2.0)
    assert score.false_alarm_s == pytest.approx(1.0)
    assert score.der == pytest.approx(5.0 / 8.0)


def test_collar_forgives_boundaries():
    hypothesis = [(0.0, 4.2, "x"), (4.2, 8.0, "y")]

    assert diarization_error(REFERENCE, hypothesis, duration=8.0, collar=0.0).der > 0
    assert diarization_error(REFERENCE, hypothesis, duration=8.0, collar=0.25).der == 0.0


def test_read_rttm_picks_one_file():
    text = "SPEAKER a 1 1.5 2.0 <NA> <NA> S1 <NA> <NA>\nSPEAKER b 1 0.0 1.0 <NA> <NA> S2 <NA> <NA>\n"

    assert read_rttm(text, "a") == [(1.5, 3.5, "S1")]


# -- features and clustering ----------------------------------------------------------------


def test_mel_filters_match_librosa_slaney():
    librosa = pytest.importorskip("librosa")

    expected = librosa.filters.mel(sr=16_000, n_fft=400, n_mels=40)
    np.testing.assert_allclose(mel_filters(), expected, atol=1e-6)


def test_embeddings_are_unit_vectors():
    encoder = VoiceEncoder()
    rng = np.random.default_rng(0)
    mels = encoder.mel_frames((rng.standard_normal(48_000) * 0.1).astype(np.float32))

    embeddings = encoder.embed(mels, [0, 100])

    assert embeddings.shape == (2, 256)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_clusters_two_clear_groups_and_one_tight_group():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    points = np.stack(
        [a + rng.normal(0, 0.05, 16) for _ in range(10)] + [b + rng.normal(0, 0.05, 16) for _ in range(10)]
    )
    points /= np.linalg.norm(points, axis=1, keepdims=True)

    labels = cluster_speakers(points.astype(np.float32))

    assert len(set(labels[:10])) == len(set(labels[10:])) == 1 and labels[0] != labels[10]
    assert set(cluster_speakers(points[:10].astype(np.float32))) == {0}


def test_speaker_at_uses_the_covering_or_nearest_turn():
    turns = (SpeakerTurn(0.0, 2.0, 0), SpeakerTurn(3.0, 5.0, 1))

    assert speaker_at(turns, 1.0) == 0
    assert speaker_at(turns, 4.0) == 1
    assert speaker_at(turns, 2.9) == 1


# -- real audio -----------------------------------------------------------------------------


@pytest.mark.slow
def test_one_speaker_in_jfk(diarizer: Diarizer, shared_audio: Path):
    turns = _diarize(diarizer, shared_audio / "faster-whisper-tests" / "jfk.flac")

    assert {t.speaker for t in turns} == {0}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["call_mono.flac", "call_mono.amr"])
def test_two_voices_in_the_synthetic_call(diarizer: Diarizer, audio_fixtures: Path, name: str):
    turns = _diarize(diarizer, audio_fixtures / name)
    # Script: rep 0-5 s, buyer 6-11 s, rep 12-16 s, buyer 16-21 s, rep 22-26 s, buyer 27-31 s.
    rep_at = [2.5, 14.0, 24.0]
    buyer_at = [8.5, 18.5, 29.0]

    assert {t.speaker for t in turns} == {0, 1}
    assert all(speaker_at(turns, t) == 0 for t in rep_at)
    assert all(speaker_at(turns, t) == 1 for t in buyer_at)


@pytest.mark.slow
@pytest.mark.parametrize(("clip", "speakers", "limit"), [("dev00", 2, 0.45), ("dev01", 2, 0.30)])
def test_ami_der_with_known_speaker_count(
    diarizer: Diarizer, shared_audio: Path, clip: str, speakers: int, limit: float
):
    folder = shared_audio / "ami-meeting-30s"
    reference = read_rttm((folder / "debug.development.rttm").read_text(), clip)

    turns = _diarize(diarizer, folder / f"{clip}.wav", speakers)

    hypothesis = [(t.start, t.end, str(t.speaker)) for t in turns]
    assert diarization_error(reference, hypothesis, duration=30.0, collar=0.25).der <= limit


def test_a_few_windows_stay_one_speaker_unless_told():
    rng = np.random.default_rng(2)
    points = rng.standard_normal((4, 16)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)

    assert set(cluster_speakers(points)) == {0}
    assert len(set(cluster_speakers(points, speakers=2))) == 2
