import datetime as dt
from dataclasses import replace

import pytest

from extract.types import ObjectionCategory, StakeholderRole
from signals import factors
from signals.config import RiskConfig
from signals.types import (
    CloseDateChange,
    EvidenceKind,
    NextStepStatus,
    ObjectionStatus,
    RiskCode,
    Stage,
    StageChange,
)
from tests.signals.factories import NOW, TODAY, ago, call, cfo, champion, deal, objection, step

CFG = RiskConfig()


def test_healthy_deal_fires_nothing():
    for code, fn in factors.FACTORS.items():
        assert fn(deal(), NOW, CFG) is None, code


def test_factor_registry_covers_every_code_in_order():
    assert list(factors.FACTORS) == list(RiskCode)


# no_buyer_activity: fires when silence is strictly longer than 14 days.


def test_no_buyer_activity_exactly_14_days_does_not_fire():
    d = deal(calls=(call(at=ago(14)),))
    assert factors.no_buyer_activity(d, NOW, CFG) is None


def test_no_buyer_activity_14_days_and_one_second_fires():
    d = deal(calls=(call(at=ago(14, seconds=1)),))
    f = factors.no_buyer_activity(d, NOW, CFG)
    assert f is not None
    assert f.points == 25
    assert f.evidence[0].kind == EvidenceKind.CALL
    assert f.evidence[0].call_id == "c1"
    assert "14 days" in f.detail


def test_no_buyer_activity_ignores_rep_only_calls():
    d = deal(calls=(call("old", ago(30)), call("rep-only", ago(1), buyer=False)))
    f = factors.no_buyer_activity(d, NOW, CFG)
    assert f is not None and f.evidence[0].call_id == "old"


def test_no_buyer_activity_email_reply_counts():
    d = deal(calls=(call(at=ago(30)),), last_buyer_activity=ago(3))
    assert factors.no_buyer_activity(d, NOW, CFG) is None


def test_no_buyer_activity_future_calls_do_not_count():
    d = deal(calls=(call("old", ago(20)), call("scheduled", NOW + dt.timedelta(days=2))))
    f = factors.no_buyer_activity(d, NOW, CFG)
    assert f is not None and f.evidence[0].call_id == "old"


def test_no_buyer_activity_without_calls_counts_from_creation():
    young = deal(calls=(), created_at=ago(10))
    assert factors.no_buyer_activity(young, NOW, CFG) is None
    old = deal(calls=(), created_at=ago(15))
    f = factors.no_buyer_activity(old, NOW, CFG)
    assert f is not None
    assert f.evidence[0].field == "created_at"
    assert "since the deal was created" in f.detail


def test_no_buyer_activity_threshold_is_tunable():
    d = deal(calls=(call(at=ago(8)),))
    assert factors.no_buyer_activity(d, NOW, replace(CFG, no_buyer_activity_days=7)) is not None


# decision-makers


def test_no_decision_maker_fires_without_any():
    d = deal(stakeholders=(champion(),))
    f = factors.no_decision_maker(d, NOW, CFG)
    assert f is not None and f.points == 15
    assert f.evidence[0].value == "Tom Lee"


def test_decision_maker_by_role_alone_counts():
    d = deal(stakeholders=(cfo(decision_maker=False, role=StakeholderRole.DECISION_MAKER),))
    assert factors.no_decision_maker(d, NOW, CFG) is None


def test_no_decision_maker_with_no_contacts():
    f = factors.no_decision_maker(deal(stakeholders=()), NOW, CFG)
    assert f is not None and "no contacts" in f.detail.lower()


def test_decision_maker_absent_fires_when_never_on_a_call():
    d = deal(stakeholders=(cfo(on_calls=0), champion()))
    f = factors.decision_maker_absent(d, NOW, CFG)
    assert f is not None and f.points == 10
    assert "Sarah Chen (CFO)" in f.detail


def test_decision_maker_absent_quiet_when_one_dm_was_on_a_call():
    other = cfo(contact_id="p3", name="Raj Patel", on_calls=0)
    assert factors.decision_maker_absent(deal(stakeholders=(cfo(), other)), NOW, CFG) is None


def test_decision_maker_absent_needs_a_known_decision_maker():
    assert factors.decision_maker_absent(deal(stakeholders=(champion(),)), NOW, CFG) is None


# next steps


def test_no_next_step_fires_without_open_steps():
    d = deal(next_steps=(step(status=NextStepStatus.DONE), step("n2", status=NextStepStatus.REJECTED)))
    f = factors.no_next_step(d, NOW, CFG)
    assert f is not None and f.points == 15 and f.detail == "No open next step"


def test_no_next_step_fires_when_open_steps_are_undated():
    d = deal(next_steps=(replace(step(), due=None),))
    f = factors.no_next_step(d, NOW, CFG)
    assert f is not None
    assert f.evidence[0].kind == EvidenceKind.UTTERANCE and f.evidence[0].utterance == 41


def test_suggested_next_steps_count_unless_configured():
    d = deal(next_steps=(step(status=NextStepStatus.SUGGESTED),))
    assert factors.no_next_step(d, NOW, CFG) is None
    assert factors.no_next_step(d, NOW, replace(CFG, suggested_next_steps_count=False)) is not None


def test_next_step_due_today_is_not_overdue():
    assert factors.next_step_overdue(deal(next_steps=(step(due=TODAY),)), NOW, CFG) is None


def test_next_step_due_yesterday_is_overdue():
    d = deal(next_steps=(step(due=TODAY - dt.timedelta(days=1)),))
    f = factors.next_step_overdue(d, NOW, CFG)
    assert f is not None and f.points == 10
    assert f.detail.endswith("was due 2026-03-15 and is still open")
    assert f.evidence[0].call_id == "c1" and f.evidence[0].value == "2026-03-15"


def test_next_step_overdue_looks_at_the_earliest_open_step():
    late = step("n2", due=TODAY - dt.timedelta(days=5), text="Intro to legal")
    done = step("n3", due=TODAY - dt.timedelta(days=9), status=NextStepStatus.DONE)
    f = factors.next_step_overdue(deal(next_steps=(step(), late, done)), NOW, CFG)
    assert f is not None and "Intro to legal" in f.detail
    assert str(TODAY - dt.timedelta(days=5)) in f.detail


def test_overdue_step_still_counts_as_a_dated_next_step():
    d = deal(next_steps=(step(due=TODAY - dt.timedelta(days=1)),))
    assert factors.no_next_step(d, NOW, CFG) is None


# close_date_pushed


def _push(at: dt.datetime, days: int = 30) -> CloseDateChange:
    old = TODAY + dt.timedelta(days=10)
    return CloseDateChange(at, old, old + dt.timedelta(days=days))


def test_close_date_pulled_in_or_first_set_is_not_a_push():
    changes = (
        CloseDateChange(ago(3), None, TODAY),
        CloseDateChange(ago(2), TODAY + dt.timedelta(days=9), TODAY + dt.timedelta(days=5)),
        CloseDateChange(ago(1), TODAY, None),
    )
    assert factors.close_date_pushed(deal(close_date_changes=changes), NOW, CFG) is None


def test_push_with_recent_buyer_activity_weighs_the_base_weight():
    d = deal(calls=(call(at=ago(3)),), close_date_changes=(_push(ago(1)),))
    f = factors.close_date_pushed(d, NOW, CFG)
    assert f is not None and f.points == 10
    assert "0 without new buyer activity" in f.detail
    assert f.evidence[0].kind == EvidenceKind.FIELD_CHANGE and f.evidence[0].field == "close_date"


def test_push_without_buyer_activity_weighs_more():
    d = deal(calls=(call(at=ago(20)),), close_date_changes=(_push(ago(1)),))
    f = factors.close_date_pushed(d, NOW, CFG)
    assert f is not None and f.points == 15
    assert "1 without new buyer activity" in f.detail


def test_buyer_activity_after_the_push_is_not_news_for_it():
    d = deal(calls=(call(at=ago(1)),), close_date_changes=(_push(ago(5)),))
    f = factors.close_date_pushed(d, NOW, CFG)
    assert f is not None and f.points == 15


def test_pushes_add_up_within_lookback_and_max_counted():
    pushes = tuple(_push(ago(d)) for d in (100, 60, 40, 20, 1))
    d = deal(calls=(call(at=ago(2)),), close_date_changes=pushes)
    f = factors.close_date_pushed(d, NOW, CFG)
    assert f is not None
    assert len(f.evidence) == 3  # the 3 latest of the 4 inside 90 days
    assert f.points == 10 + 15 + 15  # the push a day ago had news (call 2 days ago)


# single_threaded


def test_single_threaded_fires_with_one_engaged_contact():
    d = deal(stakeholders=(cfo(), champion(last_engaged_at=ago(31))))
    f = factors.single_threaded(d, NOW, CFG)
    assert f is not None and f.points == 10 and "Sarah Chen" in f.detail


def test_single_threaded_window_edge_is_inclusive():
    d = deal(stakeholders=(cfo(), champion(last_engaged_at=ago(30))))
    assert factors.single_threaded(d, NOW, CFG) is None


def test_single_threaded_never_engaged_contacts_do_not_count():
    d = deal(stakeholders=(cfo(), champion(last_engaged_at=None)))
    assert factors.single_threaded(d, NOW, CFG) is not None


# stalled_in_stage


def test_stalled_exactly_expected_days_does_not_fire():
    assert factors.stalled_in_stage(deal(stage_entered_at=ago(21)), NOW, CFG) is None


def test_stalled_past_expected_days_fires():
    f = factors.stalled_in_stage(deal(stage_entered_at=ago(21, seconds=1)), NOW, CFG)
    assert f is not None and f.points == 10
    assert f.detail == f"In Discovery since {ago(21, seconds=1).date()} (expected 21 days)"
    assert f.evidence[0].at == ago(21, seconds=1)


def test_stalled_uses_latest_stage_change_when_entry_time_unknown():
    moves = (
        StageChange(ago(40), Stage.QUALIFIED, Stage.DISCOVERY),
        StageChange(ago(10), Stage.PROPOSAL, Stage.DISCOVERY),
    )
    assert factors.stalled_in_stage(deal(stage_entered_at=None, stage_changes=moves), NOW, CFG) is None
    f = factors.stalled_in_stage(deal(stage_entered_at=None, created_at=ago(30)), NOW, CFG)
    assert f is not None and f"since {ago(30).date()}" in f.detail


# open_objections


def test_open_objections_per_objection_points():
    obs = (
        objection(),
        objection("o2", ObjectionCategory.SECURITY),
        objection("o3", status=ObjectionStatus.ADDRESSED),
    )
    f = factors.open_objections(deal(objections=obs), NOW, CFG)
    assert f is not None and f.points == 10
    assert f.detail == "2 open objections (security, timing)"
    assert [e.utterance for e in f.evidence] == [17, 17]


def test_pricing_objection_weighs_more_late_in_the_cycle():
    obs = (objection(category=ObjectionCategory.PRICING),)
    early = factors.open_objections(deal(objections=obs), NOW, CFG)
    late = factors.open_objections(deal(objections=obs, stage=Stage.PROPOSAL), NOW, CFG)
    assert early is not None and early.points == 5
    assert late is not None and late.points == 10 and "×2" in late.detail


def test_open_objection_points_are_capped():
    obs = tuple(objection(f"o{i}", ObjectionCategory.PRICING) for i in range(5))
    f = factors.open_objections(deal(objections=obs, stage=Stage.COMMIT), NOW, CFG)
    assert f is not None and f.points == 20


# stage_criteria_unmet


def test_stage_criteria_unmet_lists_each_missing_criterion():
    d = deal(stage=Stage.PROPOSAL, stakeholders=(champion(),), amount=None)
    f = factors.stage_criteria_unmet(d, NOW, CFG)
    assert f is not None and f.points == 10
    assert [e.field for e in f.evidence] == ["criteria.decision_maker_known", "criteria.amount_set"]


def test_stage_criteria_unmet_mentions_the_override_reason():
    moves = (StageChange(ago(1), Stage.DISCOVERY, Stage.PROPOSAL, "mgr-1", "CFO verbally approved"),)
    d = deal(stage=Stage.PROPOSAL, amount=None, stage_changes=moves)
    f = factors.stage_criteria_unmet(d, NOW, CFG)
    assert f is not None and "CFO verbally approved" in f.detail


@pytest.mark.parametrize(
    "stage", [Stage.AWARENESS, Stage.QUALIFIED, Stage.DISCOVERY, Stage.PROPOSAL, Stage.COMMIT]
)
def test_healthy_deal_meets_criteria_in_every_open_stage(stage):
    assert factors.stage_criteria_unmet(deal(stage=stage), NOW, CFG) is None


def test_push_news_window_edge_is_inclusive():
    push = _push(ago(1))
    on_edge = deal(calls=(call(at=push.at - dt.timedelta(days=14)),), close_date_changes=(push,))
    f = factors.close_date_pushed(on_edge, NOW, CFG)
    assert f is not None and f.points == 10
    outside = deal(calls=(call(at=push.at - dt.timedelta(days=14, seconds=1)),), close_date_changes=(push,))
    f = factors.close_date_pushed(outside, NOW, CFG)
    assert f is not None and f.points == 15


def test_push_older_than_lookback_is_forgotten():
    assert factors.close_date_pushed(deal(close_date_changes=(_push(ago(90, seconds=1)),)), NOW, CFG) is None
    assert factors.close_date_pushed(deal(close_date_changes=(_push(ago(90)),)), NOW, CFG) is not None


def test_push_multiplier_is_tunable():
    cfg = replace(CFG, pushed_without_activity_multiplier=3.0)
    d = deal(calls=(), close_date_changes=(_push(ago(1)),))
    f = factors.close_date_pushed(d, NOW, cfg)
    assert f is not None and f.points == 30


def test_objections_raised_after_now_are_ignored():
    d = deal(objections=(objection(raised_at=NOW + dt.timedelta(hours=1)),))
    assert factors.open_objections(d, NOW, CFG) is None


def test_pricing_multiplier_and_late_stages_are_tunable():
    cfg = replace(CFG, pricing_late_multiplier=3.0, pricing_late_stages=(Stage.DISCOVERY,))
    d = deal(objections=(objection(category=ObjectionCategory.PRICING),))
    f = factors.open_objections(d, NOW, cfg)
    assert f is not None and f.points == 15 and "×3" in f.detail


def test_manual_next_step_evidence_points_at_the_deal_field():
    manual = replace(step(due=TODAY - dt.timedelta(days=2)), call_id=None, utterance=None)
    f = factors.next_step_overdue(deal(next_steps=(manual,)), NOW, CFG)
    assert f is not None and f.evidence[0].kind == EvidenceKind.DEAL_FIELD
