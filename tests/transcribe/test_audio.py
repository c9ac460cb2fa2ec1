"""Decoding and validating uploads (transcribe.audio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from transcribe.audio import SAMPLE_RATE, AudioInfo, decode_audio, looks_like_audio, probe_audio
from transcribe.errors import AudioDecodeError, AudioError, AudioTooLongError, TranscribeError

CALL_SECONDS = 32.3  # the synthetic call in fixtures/audio

FORMATS = [  # file, channels after decoding, codec
    ("call_stereo.flac", 2, "flac"),
    ("call_mono.flac", 1, "flac"),
    ("call_8k_mulaw.wav", 2, "pcm_mulaw"),
    ("call_mono.mp3", 1, "mp3float"),
    ("call_mono.m4a", 1, "aac"),
    ("call_stereo.opus", 2, "opus"),
    ("call_stereo.webm", 2, "opus"),
    ("call_mono.amr", 1, "amrnb"),
]


@pytest.mark.parametrize(("name", "channels", "codec"), FORMATS)
def test_decodes_every_upload_format_to_16k_float(audio_fixtures: Path, name: str, channels: int, codec: str):
    samples = decode_audio(audio_fixtures / name)

    assert samples.dtype == np.float32
    assert samples.shape[0] == channels
    assert samples.shape[1] / SAMPLE_RATE == pytest.approx(CALL_SECONDS, abs=0.4)
    assert 0.05 < np.abs(samples).max() <= 1.0
    assert probe_audio(audio_fixtures / name).codec == codec


def test_probe_reads_the_header(audio_fixtures: Path):
    info = probe_audio(audio_fixtures / "call_8k_mulaw.wav")

    assert info == AudioInfo(
        duration_s=pytest.approx(CALL_SECONDS, abs=0.1),
        channels=2,
        sample_rate=8000,
        codec="pcm_mulaw",
        container="wav",
    )


def test_telephone_audio_keeps_one_party_per_channel(audio_fixtures: Path):
    left, right = decode_audio(audio_fixtures / "call_8k_mulaw.wav")

    # The rep opens the call on the left; the right channel is silent meanwhile.
    first_second = slice(0, SAMPLE_RATE)
    assert np.abs(left[first_second]).max() > 0.1
    assert np.abs(right[first_second]).max() < 0.01


def test_resamples_any_rate(write_wav):
    tone = np.sin(2 * np.pi * 440 * np.arange(44_100) / 44_100) * 0.5
    samples = decode_audio(write_wav("tone.wav", tone, rate=44_100))

    assert samples.shape == (1, pytest.approx(SAMPLE_RATE, abs=2))


def test_many_channels_are_mixed_down_to_mono(write_wav):
    six = np.tile(np.sin(np.linspace(0, 200, 16_000)) * 0.3, (6, 1))

    assert decode_audio(write_wav("surround.wav", six)).shape[0] == 1


def test_sniffs_content_not_the_name(audio_fixtures: Path, tmp_path: Path):
    disguised = tmp_path / "notes.txt"
    disguised.write_bytes((audio_fixtures / "call_mono.mp3").read_bytes())
    text = tmp_path / "call.wav"
    text.write_text("Dana: hello\nTom: hi\n" * 40)

    assert looks_like_audio(disguised)
    assert not looks_like_audio(text)
    assert not looks_like_audio(tmp_path / "missing.wav")


def test_empty_file_is_refused_by_name(tmp_path: Path):
    empty = tmp_path / "empty.wav"
    empty.touch()

    with pytest.raises(AudioDecodeError, match=r"empty\.wav is empty"):
        decode_audio(empty)
    assert not looks_like_audio(empty)


def test_text_named_wav_is_refused(tmp_path: Path):
    text = tmp_path / "call.wav"
    text.write_text("this is not audio\n" * 100)

    with pytest.raises(AudioDecodeError, match=r"call\.wav is not a readable audio file"):
        decode_audio(text)


def test_truncated_wav_is_refused(audio_fixtures: Path, tmp_path: Path):
    data = (audio_fixtures / "call_8k_mulaw.wav").read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 3])

    with pytest.raises(AudioDecodeError, match=r"cut\.wav is truncated"):
        decode_audio(cut)


def test_truncated_flac_is_refused(audio_fixtures: Path, tmp_path: Path):
    data = (audio_fixtures / "call_stereo.flac").read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(AudioDecodeError, match=r"cut\.flac"):
        decode_audio(cut)


def test_garbage_after_a_valid_header_is_refused(audio_fixtures: Path, tmp_path: Path):
    data = bytearray((audio_fixtures / "call_mono.m4a").read_bytes())
    data[64:] = bytes(len(data) - 64)
    broken = tmp_path / "broken.m4a"
    broken.write_bytes(bytes(data))

    with pytest.raises(AudioDecodeError, match=r"broken\.m4a"):
        decode_audio(broken)


def test_too_long_is_refused_before_decoding(audio_fixtures: Path):
    with pytest.raises(AudioTooLongError, match=r"call_mono\.flac is 32\.\d s long; the limit is 10\.0 s"):
        decode_audio(audio_fixtures / "call_mono.flac", max_duration_s=10.0)


def test_errors_share_the_stage_base():
    assert issubclass(AudioDecodeError, AudioError)
    assert issubclass(AudioTooLongError, TranscribeError)
