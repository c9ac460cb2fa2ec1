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


def test_greetings_name_speakers_and_skip_the_greeted_colleague(nlp) -> None:
    lines = [
        ("Speaker 1", "hi everyone this is tasha from brightwell thanks for making the time"),
        ("Speaker 2", "yeah hi tasha joe kowalski i do the books for all the centres"),
        ("Speaker 3", "hey ben ochoa development director"),
        ("Speaker 1", "great to meet you both"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER, "Speaker 3": Side.BUYER}
    _, said, _ = _people(nlp, lines, sides)
    assert said["Speaker 2"] == "joe kowalski"
    assert said["Speaker 3"] == "ben ochoa"


def test_a_late_joiner_is_named_when_greeted_back(nlp) -> None:
    filler = [("Speaker 1", "so this is the production board"), ("Speaker 2", "okay that makes sense")] * 14
    lines = [
        ("Speaker 1", "hi this is jordan from kegstack"),
        ("Speaker 2", "hi jordan this is maria delgado the ops manager"),
        *filler,
        ("Speaker 3", "hi sorry i'm here that took forever siobhan burke"),
        ("Speaker 1", "hi siobhan welcome we were just looking at keg tracking"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER, "Speaker 3": Side.BUYER}
    _, said, _ = _people(nlp, lines, sides)
    assert said["Speaker 3"] == "siobhan burke"


def test_a_name_the_model_calls_an_organisation_is_the_person_met_before(nlp) -> None:
    lines = [
        ("Dana Ruiz", "Who else is involved?"),
        ("Tom Becker", "Anything above twenty-five thousand goes to Beatrice Hale, our CFO."),
        ("Dana Ruiz", "What does she usually need to see?"),
        ("Tom Becker", "I'll brief Beatrice when she's back, before the finance committee."),
    ]
    sides = {"Dana Ruiz": Side.REP, "Tom Becker": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    beatrice = next(p for p in people if p.name == "Beatrice Hale")
    assert beatrice.utterances == {1, 3}


def test_the_most_senior_title_and_leading_a_team_are_features(nlp) -> None:
    lines = [
        ("Dana Ruiz", "Thanks for joining, both of you."),
        ("Sanjay Mehta", "I'm Sanjay Mehta, director of network operations. Both of them report to me."),
        ("Olivia Grant", "And I'm Olivia, I look after the NOC shifts."),
        ("Dana Ruiz", "Great, let's start with the alarms."),
    ]
    sides = {"Dana Ruiz": Side.REP, "Sanjay Mehta": Side.BUYER, "Olivia Grant": Side.BUYER}
    rep, _, people = _people(nlp, lines, sides)
    sanjay = next(p for p in people if p.name == "Sanjay Mehta")
    named = dict(zip(PERSON_FEATURES, person_features(sanjay, len(rep.views), people).tolist(), strict=True))
    assert named["senior_most"] == 1.0 and named["senior_most_on_call"] == 1.0 and named["leads"] == 1.0


def test_a_title_said_of_the_person_just_named_is_theirs(nlp) -> None:
    lines = [
        ("Dana Ruiz", "Who signs after the committee?"),
        ("Luis Moreno", "Adaeze Nwosu. She's been general manager for about six years."),
    ]
    sides = {"Dana Ruiz": Side.REP, "Luis Moreno": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    adaeze = next(p for p in people if p.name == "Adaeze Nwosu")
    assert adaeze.title == "general manager"


def test_a_negated_sign_off_routes_the_decision_instead(nlp) -> None:
    lines = [
        ("Dana Ruiz", "Can you approve this?"),
        ("Tom Becker", "No, I can't approve the spend myself. That's above my level."),
    ]
    sides = {"Dana Ruiz": Side.REP, "Tom Becker": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    tom = next(p for p in people if p.name == "Tom Becker")
    assert "economic_buyer" not in tom.cues and tom.routes == 1
