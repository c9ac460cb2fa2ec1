"""The heavy models, loaded once per process on first use and shared by every call.

Loading is lazy so that `dealsignal migrate` or an API process that only serves reads
never pays for Whisper or the encoder; a lock keeps two first calls from loading twice.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import extract.types as xt
from api.config import Settings

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from pathlib import Path

    from transcribe.types import TranscribeOptions, Transcript


class TranscriptAnalyzer(Protocol):
    """Turns a transcript into insights (extract.analyzer.Analyzer)."""

    def analyze(self, transcript: Transcript) -> xt.Insights: ...


class AudioTranscriber(Protocol):
    """Turns a recording into a transcript (transcribe.engine.WhisperEngine)."""

    def transcribe(
        self,
        path: Path,
        *,
        date: dt.date,
        options: TranscribeOptions | None = None,
        progress: Callable[[float, float], None] | None = None,
    ) -> Transcript: ...


class Engines:
    """Lazily loaded, process-wide analyzer and transcriber."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._analyzers: dict[str, TranscriptAnalyzer] = {}
        self._transcriber: AudioTranscriber | None = None

    def analyzer(self, framework: str | None = None) -> TranscriptAnalyzer:
        """Return the analyzer for a methodology framework (the configured one by default)."""
        from extract.analyzer import Analyzer

        options = self.settings.extract.options()
        if framework:
            options = replace(options, framework=xt.Framework(framework.upper()))
        key = str(options.framework)
        with self._lock:
            if key not in self._analyzers:
                _quiet_model_loading()
                self._analyzers[key] = Analyzer.load(options)
            return self._analyzers[key]

    def transcriber(self) -> AudioTranscriber:
        """Return the Whisper engine, loading the model on first use."""
        from transcribe.engine import WhisperEngine

        with self._lock:
            if self._transcriber is None:
                self._transcriber = WhisperEngine(self.settings.transcribe.options())
            return self._transcriber


def _quiet_model_loading() -> None:
    """Keep transformers' weight-loading progress bar off servers' logs and users' terminals."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


_shared: dict[int, Engines] = {}


def engines_for(settings: Settings) -> Engines:
    """Return the process's engines for these settings (one set per settings object)."""
    key = id(settings)
    if key not in _shared:
        _shared[key] = Engines(settings)
    return _shared[key]
