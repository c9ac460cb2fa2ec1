import datetime as dt
from dataclasses import replace

from signals.config import RiskConfig
from signals.health import (
    HygieneCode,
    hygiene_issues,
    next_step_coverage,
    pipeline_health,
    push_rate,
    stage_accuracy,
    stage_velocity,
    update_latency,
)
from signals.types import CloseDateChange, NextStepStatus, Stage, StageChange
from tests.signals.factories import NOW, TODAY, ago, call, deal, step

CFG = RiskConfig()


def test_next_step_coverage_counts_open_deals_with_dated_open_steps():
    deals = [
        deal(id="a"),
        deal(id="b", next_steps=(replace(step(), due=None),)),
        deal(id="c", next_steps=(step(status=NextStepStatus.DONE),)),
        deal(id="d", next_steps=(step(due=TODAY - dt.timedelta(days=3)),)),
        deal(id="e", stage=Stage.CLOSED_WON, next_steps=()),
    ]
    assert next_step_coverage(deals, CFG) == 0.5
    assert next_step_coverage([], CFG) is None


def test_update_latency():
    deals = [
        deal(id="a", calls=(call("c1", ago(3), reflected_at=ago(3) + dt.timedelta(hours=2)),)),
        deal(
            id="b",
            calls=(call("c2", ago(2), reflected_at=ago(2) + dt.timedelta(hours=10)), call("c3", ago(1))),
        ),
        deal(id="z", stage=Stage.CLOSED_LOST, calls=(call("c4", ago(1)),)),
    ]
    s = update_latency(deals)
    assert (s.calls, s.reflected, s.pending) == (3, 2, 1)
    assert (s.mean_hours, s.median_hours, s.max_hours) == (6.0, 6.0, 10.0)
    empty = update_latency([])
    assert (empty.calls, empty.mean_hours) == (0, None)


def test_push_rate_counts_pushes_in_the_window():
    push = CloseDateChange(ago(10), TODAY, TODAY + dt.timedelta(days=30))
    pull = CloseDateChange(ago(10), TODAY, TODAY - dt.timedelta(days=3))
    old = CloseDateChange(ago(100), TODAY, TODAY + dt.timedelta(days=30))
    deals = [
        deal(id="a", close_date_changes=(push,)),
        deal(id="b", close_date_changes=(pull, old)),
        deal(id="c"),
    ]
    assert push_rate(deals, since=ago(30), until=NOW) == 0.333


def test_stage_velocity_uses_completed_stints():
    changes = (
        StageChange(ago(30), Stage.AWARENESS, Stage.QUALIFIED),
        StageChange(ago(20), Stage.QUALIFIED, Stage.DISCOVERY),
        StageChange(ago(5), Stage.DISCOVERY, Stage.CLOSED_LOST),
    )
    a = deal(id="a", created_at=ago(40), stage=Stage.CLOSED_LOST, stage_changes=changes)
    b = deal(
        id="b", created_at=ago(40), stage_changes=(StageChange(ago(36), Stage.QUALIFIED, Stage.DISCOVERY),)
    )
    rows = {(v.stage, v.stints, v.mean_days) for v in stage_velocity([a, b, deal(id="c")])}
    assert rows == {(Stage.AWARENESS, 1, 10.0), (Stage.QUALIFIED, 2, 7.0), (Stage.DISCOVERY, 1, 15.0)}


def test_stage_accuracy():
    deals = [
        deal(id="a"),
        deal(id="b", stage=Stage.PROPOSAL, amount=None),
        deal(id="z", stage=Stage.CLOSED_WON, calls=()),
    ]
    assert stage_accuracy(deals, CFG) == 0.5


def test_hygiene_issues():
    deals = [
        deal(id="b", amount=None, owner=None, close_date=TODAY - dt.timedelta(days=1)),
        deal(id="a", close_date=None),
        deal(id="c", close_date=TODAY),
        deal(id="z", stage=Stage.CLOSED_WON, amount=None),
    ]
    issues = hygiene_issues(deals, now=NOW)
    assert [(i.deal_id, i.code) for i in issues] == [
        ("a", HygieneCode.NO_CLOSE_DATE),
        ("b", HygieneCode.MISSING_AMOUNT),
        ("b", HygieneCode.CLOSE_DATE_PAST),
        ("b", HygieneCode.NO_OWNER),
    ]
    assert "2026-03-15" in issues[2].detail


def test_pipeline_health_bundles_everything():
    h = pipeline_health([deal(id="a"), deal(id="b", amount=None)], now=NOW, config=CFG)
    assert h.open_deals == 2 and h.next_step_coverage == 1.0 and h.stage_accuracy == 1.0
    assert h.push_rate == 0.0 and len(h.hygiene) == 1 and h.velocity == ()
