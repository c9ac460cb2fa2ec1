"""Sides of speakers a raw call leaves `unknown` (extract.sides)."""

from __future__ import annotations

from extract.sides import speaker_sides
from transcribe.types import Side

from .conftest import make_call


def test_numbers_are_not_a_company_two_speakers_share() -> None:
    lines = [
        ("Speaker 1", "i sent over the proposal eighteen dollars per agent for four thousand agents"),
        ("Speaker 3", "our margins are thin there's no room for eighteen we need to be at twelve"),
        ("Speaker 1", "okay twelve is a big jump from eighteen what can we do at four thousand seats"),
        ("Speaker 3", "it's still not twelve and our cfo signs the contracts so we need a better number"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER, "Speaker 3": Side.UNKNOWN}
    call = make_call([*lines, ("Speaker 2", "yeah the pilot went well")], sides)
    assert speaker_sides(call)["Speaker 3"] == "buyer"


def test_a_colleague_the_rep_brings_is_on_the_rep_side() -> None:
    lines = [
        ("Speaker 1", "thanks both i've also got kevin on from our side he runs our deal desk"),
        ("Speaker 4", "hey everyone yeah kevin from quorra i'll mostly just listen"),
        ("Speaker 2", "great hi kevin our budget is tight this year"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER, "Speaker 4": Side.UNKNOWN}
    assert speaker_sides(make_call(lines, sides))["Speaker 4"] == "rep"
