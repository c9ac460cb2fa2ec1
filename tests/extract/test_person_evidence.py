"""Person-level evidence for the authority head, and names said in raw ASR calls."""

from __future__ import annotations

import pytest

from extract.authority import PERSON_FEATURES, person_features
from extract.engine import NullEncoder
from extract.pipeline import build_nlp
from extract.represent import represent
from extract.speaker_names import name_speakers
from extract.stakeholders import candidates
from transcribe.types import Side

from .conftest import make_call


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def _people(nlp, lines, sides):
    rep = represent(make_call(lines, sides), nlp, NullEncoder())
    said = name_speakers(rep.views, rep.docs)
    return rep, said, candidates(rep.views, rep.docs, rep.sides, said)


def test_echoed_self_introduction_names_the_speaker(nlp) -> None:
    lines = [
        ("Speaker 1", "hello can you hear me okay"),
        ("Speaker 2", "yeah yeah i got you hey it's dwayne sorry i'm in the truck"),
        ("Speaker 1", "no worries dwayne it's kelsey from rosterly thanks for jumping on"),
        ("Speaker 2", "so we got about forty cleaners and i do the schedule on a whiteboard"),
    ]
    _, said, people = _people(nlp, lines, {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER})
    assert said["Speaker 2"] == "dwayne"
    assert [p.name for p in people] == ["dwayne"]


def test_routing_money_and_chooser_voice_are_counted(nlp) -> None:
    lines = [
        ("Dana Ruiz", "Thanks for joining. Where are you on the proposal?"),
        ("Tom Becker", "We've chosen you on the product. But the price is over our budget for this year."),
        ("Dana Ruiz", "Understood. Who signs the order form?"),
        ("Tom Becker", "Anything over fifty thousand goes to Sarah Chen, our CFO. I'll take it to her."),
    ]
    sides = {"Dana Ruiz": Side.REP, "Tom Becker": Side.BUYER}
    rep, _, people = _people(nlp, lines, sides)
    tom = next(p for p in people if p.name == "Tom Becker")
    assert tom.routes >= 1 and tom.money >= 1 and tom.decisive >= 1
    row = person_features(tom, len(rep.views), people)
    assert row.shape == (len(PERSON_FEATURES),)
    named = dict(zip(PERSON_FEATURES, row.tolist(), strict=True))
    assert named["sole_buyer"] == 1.0 and named["other_decider"] == 1.0
