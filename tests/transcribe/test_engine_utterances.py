"""Building utterances from labelled words (transcribe.utterances)."""

from __future__ import annotations

from transcribe.types import Word
from transcribe.utterances import SpokenWord, build_utterances, first_speech_order, join_words


def _w(speaker: str, start: float, text: str, length: float = 0.3) -> SpokenWord:
    return SpokenWord(speaker, Word(start, start + length, text))


def test_cuts_at_speaker_change():
    words = [_w("A", 0.0, "Hi"), _w("A", 0.4, "Tom."), _w("B", 0.9, "Hello.")]

    utterances = build_utterances(words)

    assert [(u.speaker, u.text, u.start, u.end) for u in utterances] == [
        ("A", "Hi Tom.", 0.0, 0.7),
        ("B", "Hello.", 0.9, 1.2),
    ]
    assert [w.text for w in utterances[0].words] == ["Hi", "Tom."]


def test_cuts_at_a_long_pause():
    words = [_w("A", 0.0, "One."), _w("A", 0.9, "Two."), _w("A", 2.5, "Three.")]

    assert [u.text for u in build_utterances(words)] == ["One. Two.", "Three."]


def test_orders_by_start_whatever_the_input_order():
    words = [_w("B", 2.0, "later"), _w("A", 0.0, "first")]

    utterances = build_utterances(words)

    assert [u.speaker for u in utterances] == ["A", "B"]
    assert all(a.start <= b.start for a, b in zip(utterances, utterances[1:], strict=False))


def test_no_words_no_utterances():
    assert build_utterances([]) == ()


def test_first_speech_order():
    assert first_speech_order([_w("B", 1.0, "x"), _w("A", 2.0, "y"), _w("B", 3.0, "z")]) == ["B", "A"]


def test_join_words_drops_whisper_spacing():
    assert join_words([" Hi", " Tom,", "  ", " thanks."]) == "Hi Tom, thanks."
