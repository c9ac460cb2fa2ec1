"""End-to-end transcription with the real tiny.en model (transcribe.engine)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from transcribe.errors import AudioDecodeError, AudioTooLongError
from transcribe.types import Participant, Side, TranscribeOptions

pytestmark = pytest.mark.slow

DATE = dt.date(2026, 3, 2)
DANA = Participant("Dana Ruiz", Side.REP, "dana@acme.example")
TOM = Participant("Tom Becker", Side.BUYER)
# The synthetic call alternates rep and buyer, three turns each (fixtures/audio/make_recordings.sh).
REP_LINES = [
    "Hi Tom, this is Dana from Acme. Thanks for making time today.",
    "Great. How many people on your team would use it?",
    "Understood. I will send you a proposal with pricing by Friday.",
]
BUYER_LINES = [
    "Sure, happy to talk. We are looking for a better tool for our sales team.",
    "About forty people. Our budget is fixed until the end of the quarter.",
    "That works for me. Please include the price for annual billing.",
]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.lower()) if len(w) > 3}


def _share(line: str, text: str) -> float:
    """The part of a line's content words that a speaker's text holds."""
    words = _words(line)
    return len(words & _words(text)) / len(words)


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9' ]", "", text.lower().replace("-", " ")).split().__str__()


def _by_speaker(transcript) -> dict[str, str]:
    texts: dict[str, list[str]] = {}
    for utterance in transcript.utterances:
        texts.setdefault(utterance.speaker, []).append(utterance.text.lower())
    return {speaker: " ".join(parts) for speaker, parts in texts.items()}


def _assert_call_split(transcript, rep: str, buyer: str) -> None:
    # Word-level, not exact phrases: tiny.en's wording of the synthetic voices varies with the
    # CPU's int8 kernels, while what is tested here is who said each line.
    texts = _by_speaker(transcript)
    assert set(texts) == {rep, buyer}
    for lines, mine, other in ((REP_LINES, rep, buyer), (BUYER_LINES, buyer, rep)):
        for line in lines:
            assert _share(line, texts[mine]) >= 0.5, (line, texts[mine])
            assert _share(line, texts[mine]) > _share(line, texts[other]), (line, texts)


def test_jfk_exact_text(engine, shared_audio: Path, references):
    transcript = engine.transcribe(shared_audio / "faster-whisper-tests" / "jfk.flac", date=DATE)

    text = " ".join(u.text for u in transcript.utterances)
    assert normalise(text) == normalise(str(references["jfk.flac"]["text"]))
    assert [p.name for p in transcript.participants] == ["Speaker 1"]
    assert transcript.duration_s == pytest.approx(11.0, abs=0.05)
    assert transcript.language == "en"
    assert transcript.date == DATE


def test_words_carry_timestamps(engine, shared_audio: Path):
    transcript = engine.transcribe(shared_audio / "faster-whisper-tests" / "jfk.flac", date=DATE)

    words = [w for u in transcript.utterances for w in u.words]
    assert words[0].text == "And"
    assert all(0 <= w.start <= w.end <= 11.0 for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))
    assert all(0.0 <= w.probability <= 1.0 for w in words)


def test_stereo_one_speaker_per_channel(engine, shared_audio: Path, references):
    path = shared_audio / "faster-whisper-tests" / "stereo_diarization.wav"
    transcript = engine.transcribe(path, date=DATE, options=TranscribeOptions(rep_channel="right"))

    texts = _by_speaker(transcript)
    reference = references["stereo_diarization.wav"]
    assert transcript.extra["channels"] == "stereo"
    assert normalise(texts["Speaker 1"]) == normalise(str(reference["left_channel"]))
    assert normalise(texts["Speaker 2"]) == normalise(str(reference["right_channel"]))
    assert transcript.side_of("Speaker 2") == Side.REP
    assert transcript.side_of("Speaker 1") == Side.BUYER


def test_synthetic_stereo_call(engine, audio_fixtures: Path):
    transcript = engine.transcribe(audio_fixtures / "call_stereo.flac", date=DATE)

    _assert_call_split(transcript, "Speaker 1", "Speaker 2")
    assert len(transcript.utterances) == 6
    assert transcript.side_of("Speaker 1") == Side.UNKNOWN


def test_stereo_rep_channel_and_participants_name_the_speakers(engine, audio_fixtures: Path):
    options = TranscribeOptions(rep_channel="left", participants=(TOM, DANA))
    transcript = engine.transcribe(audio_fixtures / "call_stereo.flac", date=DATE, options=options)

    _assert_call_split(transcript, "Dana Ruiz", "Tom Becker")
    assert transcript.participants == (DANA, TOM)


def test_stereo_with_crosstalk_bleed(engine, audio_fixtures: Path, write_wav):
    from transcribe.audio import decode_audio

    left, right = decode_audio(audio_fixtures / "call_stereo.flac")
    leaky = write_wav("leaky.wav", np.stack([left + 0.2 * right, right + 0.2 * left]))

    transcript = engine.transcribe(leaky, date=DATE)

    _assert_call_split(transcript, "Speaker 1", "Speaker 2")
    assert [u.speaker for u in transcript.utterances] == ["Speaker 1", "Speaker 2"] * 3


def test_mono_call_is_diarized_into_two_speakers(engine, audio_fixtures: Path):
    transcript = engine.transcribe(audio_fixtures / "call_mono.flac", date=DATE)

    assert transcript.extra["channels"] == "mono"
    _assert_call_split(transcript, "Speaker 1", "Speaker 2")


def test_mono_call_sides_from_the_introduction(engine, audio_fixtures: Path):
    options = TranscribeOptions(participants=(TOM, DANA))  # listed buyer first on purpose
    transcript = engine.transcribe(audio_fixtures / "call_mono.flac", date=DATE, options=options)

    _assert_call_split(transcript, "Dana Ruiz", "Tom Becker")
    assert transcript.side_of("Dana Ruiz") == Side.REP


@pytest.mark.parametrize("name", ["call_8k_mulaw.wav", "call_mono.amr", "call_stereo.webm"])
def test_compressed_and_telephone_formats(engine, audio_fixtures: Path, name: str):
    transcript = engine.transcribe(audio_fixtures / name, date=DATE)

    text = " ".join(u.text for u in transcript.utterances).lower()
    assert _share(REP_LINES[2], text) >= 0.5 and _share(BUYER_LINES[2], text) >= 0.5, text
    assert len(transcript.participants) == 2


def test_progress_goes_forward_to_the_total(engine, audio_fixtures: Path):
    calls: list[tuple[float, float]] = []
    engine.transcribe(
        audio_fixtures / "call_stereo.opus", date=DATE, progress=lambda d, t: calls.append((d, t))
    )

    done = [d for d, _ in calls]
    assert len(calls) >= 3
    assert done == sorted(done)
    assert calls[-1][0] == calls[-1][1] == pytest.approx(32.3, abs=0.4)


def test_silence_gives_no_utterances(engine, write_wav):
    transcript = engine.transcribe(write_wav("silence.wav", np.zeros(16_000 * 8)), date=DATE)

    assert transcript.utterances == ()
    assert transcript.participants == ()
    assert transcript.duration_s == pytest.approx(8.0)


def test_noise_gives_no_utterances(engine, write_wav):
    rng = np.random.default_rng(3)
    noise = rng.standard_normal((2, 16_000 * 8)) * 0.2
    hum = 0.3 * np.sin(2 * np.pi * 50 * np.arange(16_000 * 8) / 16_000)

    assert engine.transcribe(write_wav("noise.wav", noise), date=DATE).utterances == ()
    assert engine.transcribe(write_wav("hum.wav", hum), date=DATE).utterances == ()


def test_music_gives_no_utterances(engine, write_wav):
    rate, seconds = 16_000, 8
    t = np.arange(rate * seconds) / rate
    notes = 220 * 2 ** (np.floor(t * 4) % 12 / 12)  # a rising scale, four notes a second
    music = 0.2 * np.sin(2 * np.pi * notes * t) + 0.1 * np.sin(2 * np.pi * 2 * notes * t)

    assert engine.transcribe(write_wav("music.wav", music), date=DATE).utterances == ()


def test_bad_uploads_raise_decode_errors(engine, tmp_path: Path):
    text = tmp_path / "call.wav"
    text.write_text("not audio at all\n" * 50)

    with pytest.raises(AudioDecodeError, match=r"call\.wav"):
        engine.transcribe(text, date=DATE)


def test_too_long_for_the_options(engine, audio_fixtures: Path):
    with pytest.raises(AudioTooLongError, match="limit is 5.0 s"):
        engine.transcribe(
            audio_fixtures / "call_mono.flac", date=DATE, options=TranscribeOptions(max_duration_s=5)
        )


def test_ami_headset_clip_is_one_speaker(engine, shared_audio: Path):
    path = shared_audio / "ami-headset-6s" / "ES2011a.Headset-0-40s-46s.wav"
    transcript = engine.transcribe(path, date=DATE)

    # Reference: "(um) I'm Abigail Claflin. You can call me Abbie." (one speaker, FEE041).
    assert [p.name for p in transcript.participants] == ["Speaker 1"]
    assert "you can call me" in " ".join(u.text for u in transcript.utterances).lower()
