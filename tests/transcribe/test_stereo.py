"""Two-party stereo: channel checks, labels, crosstalk (transcribe.stereo)."""

from __future__ import annotations

import numpy as np
import pytest

from transcribe.errors import TranscribeError
from transcribe.stereo import channel_index, channel_labels, drop_bleed, is_two_party, merge_channels
from transcribe.types import Word

RNG = np.random.default_rng(7)


def _voice(seconds: float) -> np.ndarray:
    return (RNG.standard_normal(int(seconds * 16_000)) * 0.1).astype(np.float32)


def test_distinct_channels_are_two_parties():
    assert is_two_party(np.stack([_voice(2), _voice(2)]))


def test_dual_mono_is_not_two_parties():
    voice = _voice(2)
    assert not is_two_party(np.stack([voice, voice * 0.8]))


def test_a_silent_side_is_not_two_parties():
    assert not is_two_party(np.stack([_voice(2), np.zeros(32_000, dtype=np.float32)]))
    assert not is_two_party(np.stack([_voice(2), _voice(2) * 1e-3]))


def test_mono_is_not_two_parties():
    assert not is_two_party(_voice(1)[None, :])


@pytest.mark.parametrize(("name", "index"), [("left", 0), ("Right", 1), (None, None)])
def test_rep_channel_names(name, index):
    assert channel_index(name) == index


def test_unknown_rep_channel_is_refused():
    with pytest.raises(TranscribeError, match="rep_channel must be 'left' or 'right'"):
        channel_index("centre")


def test_channels_are_named_by_first_speech():
    left = [Word(3.0, 3.4, "later")]
    right = [Word(0.5, 0.9, "first")]

    assert channel_labels([left, right]) == ["Speaker 2", "Speaker 1"]
    assert channel_labels([[], right]) == [None, "Speaker 1"]


def test_merge_orders_words_across_channels():
    left = [Word(0.0, 0.4, "Hi"), Word(2.0, 2.3, "great")]
    right = [Word(1.0, 1.3, "hello")]

    merged = merge_channels([left, right], ["Speaker 1", "Speaker 2"])

    assert [(m.speaker, m.word.text) for m in merged] == [
        ("Speaker 1", "Hi"),
        ("Speaker 2", "hello"),
        ("Speaker 1", "great"),
    ]


def test_merge_drops_crosstalk_echo_of_the_same_word():
    left = [Word(1.0, 1.5, "pricing", probability=0.95)]
    right = [Word(1.05, 1.5, "Pricing.", probability=0.40), Word(2.0, 2.4, "yes")]

    merged = merge_channels([left, right], ["Speaker 1", "Speaker 2"])

    assert [(m.speaker, m.word.text) for m in merged] == [("Speaker 1", "pricing"), ("Speaker 2", "yes")]


def test_merge_keeps_simultaneous_different_words():
    left = [Word(1.0, 1.5, "budget")]
    right = [Word(1.0, 1.5, "yeah")]

    assert len(merge_channels([left, right], ["Speaker 1", "Speaker 2"])) == 2


def test_bleed_from_the_other_channel_is_dropped():
    rep = _voice(2)
    rep[16_000:] = 0  # the rep talks for the first second only
    audio = np.stack([rep, 0.1 * rep])  # and leaks into the buyer's channel at -20 dB
    word = Word(0.2, 0.8, "pricing")

    kept = drop_bleed([[word], [word]], audio)

    assert kept == [[word], []]


def test_talking_at_once_is_not_bleed():
    audio = np.stack([_voice(2) * 0.2, _voice(2)])  # two different voices, one much louder
    word = Word(0.2, 0.8, "yes")

    assert drop_bleed([[word], [word]], audio) == [[word], [word]]
