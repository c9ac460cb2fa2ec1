from dataclasses import replace

import pytest

from extract.types import Framework, StakeholderRole
from signals.config import DEFAULT_STAGE_CRITERIA
from signals.errors import UnknownStageError
from signals.stages import (
    CRITERIA,
    OPEN_STAGES,
    STAGE_DISPLAY_NAMES,
    check_stage_move,
    criteria_for,
    criterion_met,
    display_name,
    economic_buyers,
    parse_stage,
    unmet_criteria_for_current_stage,
)
from signals.types import CriterionCode, MethodologyEvidence, NextStepStatus, Stage, UtteranceRef
from tests.signals.factories import call, cfo, champion, deal, step

C = CriterionCode


def test_display_names():
    assert [display_name(s) for s in Stage] == [
        "Awareness",
        "Qualified",
        "Discovery",
        "Proposal",
        "Commit",
        "Closed won",
        "Closed lost",
    ]
    assert OPEN_STAGES == (Stage.AWARENESS, Stage.QUALIFIED, Stage.DISCOVERY, Stage.PROPOSAL, Stage.COMMIT)


@pytest.mark.parametrize("stage", list(Stage))
def test_parse_stage_accepts_ids_and_display_names(stage):
    assert parse_stage(stage.value) == stage
    assert parse_stage(STAGE_DISPLAY_NAMES[stage]) == stage
    assert parse_stage(STAGE_DISPLAY_NAMES[stage].upper()) == stage


@pytest.mark.parametrize("text", ["  closed   WON ", "Closed-Won", "CLOSED_LOST", "proposal"])
def test_parse_stage_is_forgiving_about_case_and_separators(text):
    assert parse_stage(text) in Stage


@pytest.mark.parametrize("text", ["", "negotiation", "closed", "won"])
def test_parse_stage_rejects_unknown(text):
    with pytest.raises(UnknownStageError, match="Closed won"):
        parse_stage(text)


def test_stage_rank_is_funnel_order():
    assert [s.rank for s in Stage] == list(range(7))
    assert Stage.CLOSED_WON.is_closed and not Stage.COMMIT.is_closed


def test_every_criterion_has_a_description():
    assert set(CRITERIA) == set(CriterionCode)
    assert all(c.description for c in CRITERIA.values())


def test_default_criteria_build_up_through_the_funnel():
    assert criteria_for(Stage.AWARENESS) == ()
    assert criteria_for(Stage.CLOSED_LOST) == ()
    assert [c.code for c in criteria_for(Stage.DISCOVERY)] == [C.BUYER_ENGAGED, C.PAIN_IDENTIFIED]
    assert C.DECISION_MAKER_KNOWN in DEFAULT_STAGE_CRITERIA[Stage.PROPOSAL]
    commit = DEFAULT_STAGE_CRITERIA[Stage.COMMIT]
    assert {C.ECONOMIC_BUYER_ON_CALL, C.CONFIRMED_NEXT_STEP} <= set(commit)
    assert DEFAULT_STAGE_CRITERIA[Stage.CLOSED_WON] == commit


@pytest.mark.parametrize(
    ("code", "met", "unmet"),
    [
        (C.BUYER_ENGAGED, deal(), deal(calls=(call(buyer=False),))),
        (C.PAIN_IDENTIFIED, deal(), deal(pain_identified=False)),
        (C.DECISION_MAKER_KNOWN, deal(), deal(stakeholders=(champion(),))),
        (C.AMOUNT_SET, deal(), deal(amount=0.0)),
        (C.CLOSE_DATE_SET, deal(), deal(close_date=None)),
        (C.ECONOMIC_BUYER_ON_CALL, deal(), deal(stakeholders=(cfo(on_calls=0), champion()))),
        (C.CONFIRMED_NEXT_STEP, deal(), deal(next_steps=(step(confirmed=False),))),
    ],
)
def test_each_criterion(code, met, unmet):
    assert criterion_met(met, code)
    assert not criterion_met(unmet, code)


def test_confirmed_next_step_must_be_open_and_dated():
    assert not criterion_met(deal(next_steps=(step(status=NextStepStatus.DONE),)), C.CONFIRMED_NEXT_STEP)
    assert not criterion_met(deal(next_steps=(replace(step(), due=None),)), C.CONFIRMED_NEXT_STEP)


def test_pain_from_methodology_evidence():
    ev = MethodologyEvidence(Framework.MEDDICC, {"identify_pain": (UtteranceRef("c1", 9),)})
    assert criterion_met(deal(pain_identified=False, methodology=ev), C.PAIN_IDENTIFIED)
    empty = MethodologyEvidence(Framework.MEDDICC, {"identify_pain": ()})
    assert not criterion_met(deal(pain_identified=False, methodology=empty), C.PAIN_IDENTIFIED)


def test_economic_buyer_falls_back_to_decision_makers():
    vp = cfo(role=StakeholderRole.DECISION_MAKER, decision_maker=True)
    assert economic_buyers(deal(stakeholders=(vp, champion()))) == (vp,)
    eb = cfo(contact_id="p9", decision_maker=False, on_calls=0)
    d = deal(stakeholders=(vp, eb))
    assert economic_buyers(d) == (eb,)  # a named economic buyer wins over other decision-makers
    assert not criterion_met(d, C.ECONOMIC_BUYER_ON_CALL)


def test_check_stage_move_lists_unmet_in_order():
    d = deal(stakeholders=(champion(),), next_steps=(), close_date=None)
    check = check_stage_move(d, Stage.COMMIT)
    assert not check.allowed and check.to_stage == Stage.COMMIT
    assert [c.code for c in check.unmet] == [
        C.DECISION_MAKER_KNOWN,
        C.CLOSE_DATE_SET,
        C.ECONOMIC_BUYER_ON_CALL,
        C.CONFIRMED_NEXT_STEP,
    ]


def test_closing_lost_is_always_allowed():
    assert check_stage_move(deal(calls=(), stakeholders=()), Stage.CLOSED_LOST).allowed


def test_closed_won_needs_the_commit_evidence():
    assert check_stage_move(deal(), Stage.CLOSED_WON).allowed
    assert not check_stage_move(deal(next_steps=()), Stage.CLOSED_WON).allowed


def test_custom_criteria_are_data():
    custom = {Stage.QUALIFIED: (C.AMOUNT_SET,)}
    assert not check_stage_move(deal(amount=None), Stage.QUALIFIED, criteria=custom).allowed
    assert check_stage_move(deal(amount=None), Stage.PROPOSAL, criteria=custom).allowed


def test_unmet_criteria_for_current_stage():
    assert unmet_criteria_for_current_stage(deal(stage=Stage.PROPOSAL)) == ()
    unmet = unmet_criteria_for_current_stage(deal(stage=Stage.PROPOSAL, amount=None))
    assert [c.code for c in unmet] == [C.AMOUNT_SET]
