"""Errors raised while reading calls.

TranscribeError
├── TranscriptFormatError   a transcript file breaks its format (names field and position)
└── AudioError
    ├── AudioDecodeError    not decodable audio (empty, truncated, not audio at all)
    └── AudioTooLongError   longer than the configured limit
"""

from __future__ import annotations


class TranscribeError(Exception):
    """Base for every error the transcribe stage raises."""


class TranscriptFormatError(TranscribeError):
    """A transcript does not follow its format; `location` names the field and position."""

    def __init__(self, location: str, problem: str) -> None:
        self.location = location
        self.problem = problem
        super().__init__(f"{location}: {problem}" if location else problem)


class AudioError(TranscribeError):
    """Base for problems with an audio file."""


class AudioDecodeError(AudioError):
    """The file cannot be decoded as audio."""


class AudioTooLongError(AudioError):
    """The audio is longer than the configured limit."""
