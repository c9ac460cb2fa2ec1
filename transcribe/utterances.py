"""Turn speaker-labelled words into utterances.

An utterance ends where the speaker changes or where the speaker pauses for longer than
`max_pause_s`; a long pause inside one person's speech usually starts a new thought, and
shorter utterances keep later stages' evidence spans tight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transcribe.types import Utterance, Word

MAX_PAUSE_S = 1.0


@dataclass(frozen=True, slots=True)
class SpokenWord:
    """A recognised word and who said it."""

    speaker: str
    word: Word


def build_utterances(words: Iterable[SpokenWord], max_pause_s: float = MAX_PAUSE_S) -> tuple[Utterance, ...]:
    """Group words (any order) into utterances ordered by start time.

    Args:
        words: labelled words from one or more channels.
        max_pause_s: a silence longer than this inside one speaker's words starts a new utterance.

    Returns:
        Utterances whose `start` never decreases, each carrying its words.
    """
    ordered = sorted(words, key=lambda spoken: (spoken.word.start, spoken.word.end))
    groups: list[list[SpokenWord]] = []
    for spoken in ordered:
        current = groups[-1] if groups else None
        if (
            current is not None
            and current[-1].speaker == spoken.speaker
            and spoken.word.start - current[-1].word.end <= max_pause_s
        ):
            current.append(spoken)
        else:
            groups.append([spoken])
    return tuple(_utterance(group) for group in groups)


def _utterance(group: Sequence[SpokenWord]) -> Utterance:
    words = tuple(spoken.word for spoken in group)
    return Utterance(
        speaker=group[0].speaker,
        start=round(words[0].start, 3),
        end=round(max(word.end for word in words), 3),
        text=join_words(word.text for word in words),
        words=words,
    )


def join_words(texts: Iterable[str]) -> str:
    """Join word texts with single spaces (Whisper words carry their own punctuation)."""
    return " ".join(text.strip() for text in texts if text.strip())


def first_speech_order(words: Iterable[SpokenWord]) -> list[str]:
    """Return the speaker labels in the order they first speak."""
    order: dict[str, float] = {}
    for spoken in words:
        if spoken.speaker not in order or spoken.word.start < order[spoken.speaker]:
            order[spoken.speaker] = spoken.word.start
    return sorted(order, key=order.__getitem__)
