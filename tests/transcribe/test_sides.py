"""Who is the rep and who the buyer (transcribe.sides)."""

from __future__ import annotations

from transcribe.sides import resolve_speakers
from transcribe.types import Participant, Side, TranscribeOptions, Utterance

DANA = Participant("Dana Ruiz", Side.REP, "dana@acme.example")
TOM = Participant("Tom Becker", Side.BUYER)


def _call(*turns: tuple[str, str]) -> list[Utterance]:
    return [Utterance(speaker, float(i), text) for i, (speaker, text) in enumerate(turns)]


def _sides(speakers) -> list[tuple[str, Side]]:
    return [(p.name, p.side) for p in speakers.participants]


ORDER = ["Speaker 1", "Speaker 2"]


def test_nothing_known_leaves_sides_unknown():
    call = _call(("Speaker 1", "Hello."), ("Speaker 2", "Hi."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions())

    assert _sides(speakers) == [("Speaker 1", Side.UNKNOWN), ("Speaker 2", Side.UNKNOWN)]
    assert speakers.renames == {}


def test_rep_channel_gives_both_sides():
    call = _call(("Speaker 1", "Hello."), ("Speaker 2", "Hi."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(), rep_speaker="Speaker 2")

    assert _sides(speakers) == [("Speaker 1", Side.BUYER), ("Speaker 2", Side.REP)]


def test_rep_channel_with_participants_names_them():
    call = _call(("Speaker 1", "Hello."), ("Speaker 2", "Hi."))

    speakers = resolve_speakers(
        call, ORDER, TranscribeOptions(participants=(DANA, TOM)), rep_speaker="Speaker 2"
    )

    assert speakers.participants == (TOM, DANA)
    assert speakers.renames == {"Speaker 1": "Tom Becker", "Speaker 2": "Dana Ruiz"}


def test_self_introduction_by_name_beats_speaking_order():
    # Tom speaks first, so order alone would wrongly make him Dana.
    call = _call(("Speaker 1", "Hello?"), ("Speaker 2", "Hi Tom, this is Dana from Acme."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(participants=(DANA, TOM)))

    assert speakers.renames == {"Speaker 2": "Dana Ruiz", "Speaker 1": "Tom Becker"}
    assert _sides(speakers) == [("Tom Becker", Side.BUYER), ("Dana Ruiz", Side.REP)]


def test_company_in_introduction_finds_the_rep():
    # The name is misheard ("Gainer"), but the company from Dana's email domain is said.
    call = _call(("Speaker 1", "Hello?"), ("Speaker 2", "Hi Tom, Mrs. Gainer here, I'm calling from Acme."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(participants=(DANA, TOM)))

    assert speakers.renames == {"Speaker 2": "Dana Ruiz", "Speaker 1": "Tom Becker"}


def test_rep_company_option_without_participants():
    call = _call(("Speaker 1", "Hello?"), ("Speaker 2", "This is Sam with Globex."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(rep_company="Globex"))

    assert _sides(speakers) == [("Speaker 1", Side.BUYER), ("Speaker 2", Side.REP)]


def test_company_mentioned_by_the_buyer_without_introduction_is_ignored():
    call = _call(("Speaker 1", "We talked with Acme last year."), ("Speaker 2", "Sure."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(rep_company="Acme"))

    assert _sides(speakers) == [("Speaker 1", Side.UNKNOWN), ("Speaker 2", Side.UNKNOWN)]


def test_order_of_first_speech_when_counts_match_and_nothing_else_is_known():
    call = _call(("Speaker 1", "Hello."), ("Speaker 2", "Hi."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(participants=(DANA, TOM)))

    assert speakers.participants == (DANA, TOM)


def test_participant_count_mismatch_keeps_labels():
    call = _call(("Speaker 1", "Hello."), ("Speaker 2", "Hi."), ("Speaker 3", "Hey."))
    order = [*ORDER, "Speaker 3"]

    speakers = resolve_speakers(call, order, TranscribeOptions(participants=(DANA, TOM)))

    assert [p.name for p in speakers.participants] == order


def test_possessive_is_not_an_introduction():
    call = _call(("Speaker 1", "This is Dana's proposal."), ("Speaker 2", "Thanks, this is Tom."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(participants=(DANA, TOM)))

    assert speakers.renames == {"Speaker 2": "Tom Becker", "Speaker 1": "Dana Ruiz"}


def test_company_in_the_opening_words_without_a_cue():
    # Whisper heard "this is Dana" as "Mrs. Gainer"; the opener still names the company.
    call = _call(
        ("Speaker 1", "Hi Tom, Mrs. Gainer from Acme. Thanks for making time."), ("Speaker 2", "Sure.")
    )

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(participants=(TOM, DANA)))

    assert speakers.renames == {"Speaker 1": "Dana Ruiz", "Speaker 2": "Tom Becker"}


def test_company_late_in_a_buyer_turn_is_not_an_opener():
    call = _call(("Speaker 1", "Hello."), ("Speaker 2", "Well, we did get a quote last spring from Acme."))

    speakers = resolve_speakers(call, ORDER, TranscribeOptions(rep_company="Acme"))

    assert _sides(speakers) == [("Speaker 1", Side.UNKNOWN), ("Speaker 2", Side.UNKNOWN)]
