"""Two-party stereo calls: one party per channel.

Call recorders and dialers usually write the rep on one channel and the customer on the other,
which makes speaker attribution exact. A stereo file is treated this way only when its channels
really differ: dual-mono files (the same mix on both sides, like most podcasts and the JFK clip)
and files with one silent side go through mono diarization instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from transcribe.errors import TranscribeError
from transcribe.types import Word
from transcribe.utterances import SpokenWord

FloatArray = npt.NDArray[np.float32]

# Channels this correlated carry the same mix, not two parties.
_DUAL_MONO_CORRELATION = 0.9
# A channel this much quieter than the other (about -40 dB) holds no party of its own.
_SILENT_CHANNEL_RATIO = 0.01
_ABSOLUTE_SILENCE_RMS = 1e-4
_STRIDE = 8
# A word whose span is this much louder on the other channel (6 dB in amplitude) is bleed.
_BLEED_POWER_RATIO = 4.0
_FRAME = 160  # 10 ms at 16 kHz
_MAX_LAG = 320  # 20 ms: line and headset echo paths are short
_COPY_CORRELATION = 0.5
_FRAMES_PER_S = 100
CHANNEL_NAMES = ("left", "right")


def is_two_party(audio: FloatArray) -> bool:
    """Return True when `audio` (channels, samples) has two distinct, non-silent channels."""
    if audio.ndim != 2 or audio.shape[0] != 2 or audio.shape[1] < 2 * _STRIDE:
        return False
    # Every 8th sample is plenty to tell a copy from a different signal, at an eighth of the cost.
    left, right = (channel[::_STRIDE].astype(np.float64) for channel in audio)
    rms = np.sqrt(np.array([np.mean(left * left), np.mean(right * right)]))
    if rms.min() < _ABSOLUTE_SILENCE_RMS or rms.min() < _SILENT_CHANNEL_RATIO * rms.max():
        return False
    left -= left.mean()
    right -= right.mean()
    denominator = float(np.sqrt(np.dot(left, left) * np.dot(right, right)))
    correlation = float(np.dot(left, right)) / denominator if denominator else 1.0
    return correlation < _DUAL_MONO_CORRELATION


def channel_index(name: str | None) -> int | None:
    """Map an options.rep_channel value ("left"/"right", any case) to 0/1; None stays None."""
    if name is None:
        return None
    lowered = name.strip().lower()
    if lowered not in CHANNEL_NAMES:
        raise TranscribeError(f"rep_channel must be 'left' or 'right', not {name!r}")
    return CHANNEL_NAMES.index(lowered)


def channel_labels(channel_words: Sequence[Sequence[Word]]) -> list[str | None]:
    """Name each channel "Speaker N" in order of first speech; a channel without words gets None."""
    firsts = [(words[0].start, index) for index, words in enumerate(channel_words) if words]
    labels: list[str | None] = [None] * len(channel_words)
    for rank, (_, index) in enumerate(sorted(firsts)):
        labels[index] = f"Speaker {rank + 1}"
    return labels


def drop_bleed(channel_words: Sequence[Sequence[Word]], audio: FloatArray) -> list[list[Word]]:
    """Keep, on each channel, only the words its own party said.

    Recorders rarely isolate the parties completely: the rep's voice leaks into the customer's
    channel at -20 dB or so, which Whisper still transcribes. A word is bleed when, over its
    span, the other channel is much louder and carries the same waveform (a scaled, slightly
    delayed copy). Two people talking at once are loud on both sides but not copies, so both
    keep their words.
    """
    power = [_frame_power(channel) for channel in audio]
    kept: list[list[Word]] = []
    for index, words in enumerate(channel_words):
        own, other = index, 1 - index
        kept.append(
            [
                word
                for word in words
                if _mean_over(power[other], word) <= _BLEED_POWER_RATIO * _mean_over(power[own], word)
                or not _is_copy(audio[own], audio[other], word)
            ]
        )
    return kept


def _is_copy(own: FloatArray, other: FloatArray, word: Word) -> bool:
    """Is `own` a scaled copy of `other` (within +-20 ms) over the word's span?"""
    lo, hi = int(word.start * 16_000), max(int(word.end * 16_000), int(word.start * 16_000) + _FRAME)
    a, b = own[lo:hi].astype(np.float64), other[lo:hi].astype(np.float64)
    energy = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    if len(a) < _FRAME or energy == 0.0:
        return False
    size = 2 * len(a)
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    near = np.concatenate([corr[: _MAX_LAG + 1], corr[-_MAX_LAG:]])
    return float(np.abs(near).max()) / energy >= _COPY_CORRELATION


def _frame_power(channel: FloatArray) -> FloatArray:
    frames = len(channel) // _FRAME
    squared = np.square(channel[: frames * _FRAME], dtype=np.float32).reshape(frames, _FRAME)
    return np.asarray(squared.mean(axis=1), dtype=np.float32)


def _mean_over(power: FloatArray, word: Word) -> float:
    first = min(int(word.start * _FRAMES_PER_S), max(len(power) - 1, 0))
    last = max(int(np.ceil(word.end * _FRAMES_PER_S)), first + 1)
    return float(power[first:last].mean()) if len(power) else 0.0


def merge_channels(channel_words: Sequence[Sequence[Word]], labels: Sequence[str | None]) -> list[SpokenWord]:
    """Label every word with its channel's speaker and drop crosstalk echoes.

    When one party's voice leaks into the other channel, Whisper hears the same word twice at
    the same moment; the copy with the lower confidence is the echo.
    """
    spoken = [
        SpokenWord(label, word)
        for words, label in zip(channel_words, labels, strict=True)
        if label is not None
        for word in words
    ]
    spoken.sort(key=lambda item: item.word.start)
    return [item for index, item in enumerate(spoken) if not _is_echo(item, spoken, index)]


def _is_echo(item: SpokenWord, spoken: Sequence[SpokenWord], index: int) -> bool:
    key = _normalise(item.word.text)
    for other in spoken[max(index - 8, 0) : index + 8]:
        if other.speaker == item.speaker or _normalise(other.word.text) != key:
            continue
        if _overlap(item.word, other.word) > 0.5 and (
            other.word.probability,
            other.word.start,
        ) > (item.word.probability, item.word.start):
            return True
    return False


def _overlap(a: Word, b: Word) -> float:
    shared = min(a.end, b.end) - max(a.start, b.start)
    shortest = max(min(a.end - a.start, b.end - b.start), 1e-3)
    return max(shared, 0.0) / shortest


def _normalise(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())
