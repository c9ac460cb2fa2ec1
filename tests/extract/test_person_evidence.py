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


def test_lowercase_names_are_found_with_their_titles_and_cues(nlp) -> None:
    lines = [
        ("Speaker 1", "and um who signs this year is it still charles"),
        ("Speaker 2", "yeah charles whitmore our managing partner signs anything over like fifty k"),
        ("Speaker 1", "okay could we get charles on a call next week"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    charles = next(p for p in people if p.name == "charles whitmore")
    assert charles.title == "managing partner"
    assert "economic_buyer" in charles.cues
    assert charles.utterances == {0, 1, 2}


def test_a_first_name_said_before_the_full_name_is_that_person(nlp) -> None:
    # "ray" is a common word: alone it is a name only once "ray delgado" is said in the call
    lines = [
        ("Speaker 2", "i'm not the one who signs though this has to go to ray"),
        ("Speaker 1", "ray delgado your ceo right"),
        ("Speaker 2", "yeah ray signs anything over fifty k"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    ray = next(p for p in people if p.name == "ray delgado")
    assert ray.utterances == {0, 1, 2} and ray.title == "CEO"
    assert "economic_buyer" in ray.cues


def test_common_words_that_are_also_given_names_are_not_people(nlp) -> None:
    lines = [
        ("Speaker 1", "so will the pilot grant access to everyone in the office in austin"),
        ("Speaker 2", "yeah we will mark the milestones and the bill goes to finance"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    rep, _, _ = _people(nlp, lines, sides)
    assert [s.text for doc in rep.docs for s in doc.spans["people"]] == []


def test_a_security_sign_off_is_a_technical_gate_not_the_budget(nlp) -> None:
    lines = [
        ("Dana Ruiz", "Who else needs to be involved?"),
        ("Tom Becker", "Sam Porter, our IT guy, has to sign off on the integration."),
        ("Tom Becker", "And Sandra Klein runs finance. It's her budget."),
    ]
    sides = {"Dana Ruiz": Side.REP, "Tom Becker": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    by_name = {p.name: p for p in people}
    assert by_name["Sam Porter"].cues == ["technical_evaluator"]
    assert "economic_buyer" in by_name["Sandra Klein"].cues


def test_a_speaker_named_with_an_honorific_is_one_person(nlp) -> None:
    lines = [
        ("Speaker 1", "hi everyone thanks for joining"),
        ("Speaker 2", "great so i'm dr angela pierce assistant superintendent and i've got luis with me"),
        ("Speaker 1", "perfect angela last time you mentioned absenteeism"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    assert len([p for p in people if "angela" in p.name]) == 1


def test_a_possessive_names_who_decides_or_pays(nlp) -> None:
    lines = [
        ("Dana Ruiz", "Who else weighs in on this?"),
        ("Tom Becker", "Honestly the decision isn't mine, it's Richard Kowalski's."),
        ("Tom Becker", "And anything over fifty thousand needs Priya Shah's signature."),
        ("Tom Becker", "We need Sam Porter's approval on the security review too."),
        ("Tom Becker", "After Nina Patel's call last week we sent the deck over."),
    ]
    sides = {"Dana Ruiz": Side.REP, "Tom Becker": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    by_name = {p.name: p for p in people}
    assert by_name["Richard Kowalski"].cues == ["decision_maker"]
    assert by_name["Priya Shah"].cues == ["economic_buyer"]
    assert set(by_name["Sam Porter"].cues) == {"technical_evaluator"}  # a review's gate, not the budget
    assert "Nina Patel" not in by_name or not by_name["Nina Patel"].cues  # a phone call, not a decision
    assert by_name["Tom Becker"].routes >= 2


def test_lowercase_possessives_and_spend_routing(nlp) -> None:
    lines = [
        ("Speaker 1", "hi this is kelsey from rosterly so who makes the call on tools like this"),
        ("Speaker 2", "it's really tony russo's decision he runs the fleet"),
        ("Speaker 2", "and security spend goes through dana whitfield"),
    ]
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    _, _, people = _people(nlp, lines, sides)
    by_name = {p.name: p for p in people}
    assert "decision_maker" in by_name["tony russo"].cues
    assert "economic_buyer" in by_name["dana whitfield"].cues
