"""Who spoke when, for a mono recording.

Speech regions (from Silero VAD) are covered with overlapping 1.6 s windows; each window gets
a Resemblyzer embedding; the embeddings are clustered (``clustering.py``); each window then
owns the stretch of its region nearest to its centre. Speakers are numbered in order of first
speech. Overlapping speech is not modelled: every instant has at most one speaker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from faster_whisper.vad import VadOptions, get_speech_timestamps

from transcribe.clustering import cluster_speakers
from transcribe.voice import HOP, PARTIAL_FRAMES, SAMPLE_RATE, VoiceEncoder

FloatArray = npt.NDArray[np.float32]
_FRAME_S = HOP / SAMPLE_RATE
_WINDOW_S = PARTIAL_FRAMES * _FRAME_S
# Diarization should hear more of the quiet, far-field speech than Whisper needs to see.
_VAD = VadOptions(threshold=0.35, min_silence_duration_ms=300, speech_pad_ms=100)


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """A stretch of speech by one speaker (0-based index, in order of first speech)."""

    start: float
    end: float
    speaker: int


@dataclass(frozen=True, slots=True)
class DiarizeOptions:
    """How finely to slice speech for speaker embeddings."""

    # Window step, and so the resolution of speaker changes. 0.7 s scored best on AMI (pooled
    # DER 0.49 against 0.55 at 0.4 s) and needs under half the LSTM time of 0.4 s.
    hop_s: float = 0.7
    min_region_s: float = 0.3  # shorter VAD regions are too little voice to place
    max_speakers: int = 6


@dataclass(frozen=True, slots=True)
class _Window:
    region: int
    start: float  # seconds; the window spans start .. start + 1.6 s
    center: float


class Diarizer:
    """Assigns speech regions of a 16 kHz mono signal to speakers."""

    def __init__(self, encoder: VoiceEncoder | None = None, options: DiarizeOptions | None = None) -> None:
        self._encoder = encoder or VoiceEncoder()
        self._options = options or DiarizeOptions()

    def diarize(
        self, audio: FloatArray, speech: Sequence[tuple[float, float]], speakers: int | None = None
    ) -> tuple[SpeakerTurn, ...]:
        """Split `speech` regions (seconds) of `audio` into speaker turns.

        Args:
            audio: float32 16 kHz mono samples.
            speech: (start, end) seconds of detected speech, in order.
            speakers: the known number of speakers, or None to estimate it (1..max_speakers).

        Returns:
            Turns in time order, speakers numbered by first speech.
        """
        regions = [(s, e) for s, e in speech if e - s >= self._options.min_region_s]
        duration = len(audio) / SAMPLE_RATE
        windows = _windows(regions, duration, self._options.hop_s)
        if not windows:
            return ()
        mels = self._encoder.mel_frames(_speech_only(audio, regions))
        starts = [round(w.start / _FRAME_S) for w in windows]
        embeddings = self._encoder.embed(mels, starts)
        clusters = cluster_speakers(embeddings, speakers, self._options.max_speakers)
        labels = _smooth(clusters, [w.region for w in windows])
        return _turns(regions, windows, _first_speech_order(labels))


def detect_speech(audio: FloatArray) -> list[tuple[float, float]]:
    """Return (start, end) seconds of speech in 16 kHz mono `audio` (Silero VAD)."""
    stamps = get_speech_timestamps(audio, _VAD)
    return [(stamp["start"] / SAMPLE_RATE, stamp["end"] / SAMPLE_RATE) for stamp in stamps]


def _speech_only(audio: FloatArray, regions: Sequence[tuple[float, float]]) -> FloatArray:
    """Zero everything outside speech, so noise between turns does not colour the embeddings."""
    masked = np.zeros_like(audio)
    for start, end in regions:
        lo, hi = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
        masked[lo:hi] = audio[lo:hi]
    return masked


def _windows(regions: Sequence[tuple[float, float]], duration: float, hop: float) -> list[_Window]:
    windows: list[_Window] = []
    latest = max(duration - _WINDOW_S, 0.0)
    for index, (start, end) in enumerate(regions):
        length = end - start
        if length <= _WINDOW_S:
            # Short turns get one window centred on them; it hears some context either side.
            first = min(max((start + end - _WINDOW_S) / 2, 0.0), latest)
            windows.append(_Window(index, first, (start + end) / 2))
            continue
        count = int(round((length - _WINDOW_S) / hop)) + 1
        for offset in np.linspace(start, end - _WINDOW_S, count):
            windows.append(_Window(index, float(offset), float(offset) + _WINDOW_S / 2))
    return windows


def _smooth(labels: npt.NDArray[np.int64], regions: Sequence[int]) -> list[int]:
    """Majority vote over each window and its neighbours in the same region (drops 1-window flips)."""
    smoothed: list[int] = []
    for i, label in enumerate(labels):
        votes = [
            int(labels[j]) for j in (i - 1, i, i + 1) if 0 <= j < len(labels) and regions[j] == regions[i]
        ]
        top, count = Counter(votes).most_common(1)[0]
        smoothed.append(top if count > 1 else int(label))
    return smoothed


def _first_speech_order(labels: Sequence[int]) -> list[int]:
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(label, len(order))
    return [order[label] for label in labels]


def _turns(
    regions: Sequence[tuple[float, float]], windows: Sequence[_Window], labels: Sequence[int]
) -> tuple[SpeakerTurn, ...]:
    """Give each window the part of its region nearest its centre; merge equal neighbours."""
    turns: list[SpeakerTurn] = []
    for i, window in enumerate(windows):
        region_start, region_end = regions[window.region]
        prev_same = i > 0 and windows[i - 1].region == window.region
        next_same = i + 1 < len(windows) and windows[i + 1].region == window.region
        start = (windows[i - 1].center + window.center) / 2 if prev_same else region_start
        end = (window.center + windows[i + 1].center) / 2 if next_same else region_end
        if turns and prev_same and turns[-1].speaker == labels[i]:
            turns[-1] = SpeakerTurn(turns[-1].start, end, labels[i])
        else:
            turns.append(SpeakerTurn(start, end, labels[i]))
    return tuple(turns)


def speaker_at(turns: Sequence[SpeakerTurn], time: float) -> int:
    """Return the speaker of the turn covering `time`, else of the nearest turn (turns non-empty)."""
    best, best_gap = turns[0].speaker, float("inf")
    for turn in turns:
        if turn.start <= time <= turn.end:
            return turn.speaker
        gap = min(abs(turn.start - time), abs(turn.end - time))
        if gap < best_gap:
            best, best_gap = turn.speaker, gap
    return best
