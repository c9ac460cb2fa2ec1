import datetime as dt

import pytest

from signals.config import RiskConfig
from signals.errors import PeriodError
from signals.health import HygieneCode
from signals.review import weekly_review
from signals.types import NextStepStatus, RiskLevel, Stage, StageChange
from tests.signals.factories import NOW, ago, call, champion, deal, step

CFG = RiskConfig()
D = dt.date


def _deals():
    return [
        deal(id="healthy", owner="rep-1"),
        deal(
            id="risky",
            owner="rep-1",
            calls=(call(at=ago(20)),),
            stakeholders=(champion(),),
            stage_entered_at=ago(30),
            next_steps=(step("r1", due=D(2026, 3, 25), confirmed=False, status=NextStepStatus.SUGGESTED),),
        ),
        deal(
            id="moved",
            owner="rep-2",
            amount=None,
            stage=Stage.PROPOSAL,
            stage_changes=(
                StageChange(ago(0.1), Stage.DISCOVERY, Stage.PROPOSAL, "rep-2", "Verbal yes from the CFO"),
            ),
            next_steps=(step("m1", due=D(2026, 3, 30)), step("m2", due=D(2026, 3, 10), text="Old")),
        ),
        deal(
            id="won",
            owner="rep-1",
            stage=Stage.CLOSED_WON,
            close_date=D(2026, 3, 17),
            stage_changes=(StageChange(ago(0.2), Stage.COMMIT, Stage.CLOSED_WON, "rep-1"),),
        ),
        deal(id="other-team", owner="rep-9", calls=()),
        deal(
            id="last-week",
            owner="rep-2",
            next_steps=(),
            stage_changes=(StageChange(ago(8), Stage.QUALIFIED, Stage.DISCOVERY),),
        ),
    ]


def test_weekly_review():
    r = weekly_review(
        _deals(),
        team_owner_ids={"rep-1", "rep-2"},
        week="2026-W12",
        now=NOW,
        config=CFG,
        quotas={"2026-Q2": 200_000.0},
    )
    assert r.week == "2026-W12"
    assert [(a.deal_id, a.risk.score, a.risk.level) for a in r.at_risk] == [("risky", 60, RiskLevel.HIGH)]
    assert [f.code for f in r.at_risk[0].risk.factors][0] == "no_buyer_activity"

    assert [(m.deal_id, m.to_stage, m.override_reason, m.forward) for m in r.movement] == [
        ("won", Stage.CLOSED_WON, None, True),
        ("moved", Stage.PROPOSAL, "Verbal yes from the CFO", True),
    ]

    assert [(n.deal_id, n.next_step_id, n.due, n.confirmed) for n in r.next_steps] == [
        ("healthy", "n1", D(2026, 3, 19), True),
        ("risky", "r1", D(2026, 3, 25), False),
    ]

    assert [(c.period, c.quota) for c in r.coverage] == [("2026-Q1", None), ("2026-Q2", 200_000.0)]
    q2 = r.coverage[1]
    # healthy, risky and last-week close Apr 15 (TODAY + 30) in Discovery: 3 × 50k × 20%
    assert q2.open_weighted == 30_000.0 and q2.ratio == 0.15
    # adjusted by risk: healthy 0, risky 60, last-week 15 (no next step)
    assert q2.open_adjusted == 10_000.0 + 10_000.0 * (1 - 0.5 * 0.6) + 10_000.0 * (1 - 0.5 * 0.15)
    assert q2.closed_won == 0.0 and isinstance(q2.closed_won, float)
    assert r.coverage[0].closed_won == 50_000.0

    assert [(h.deal_id, h.code) for h in r.hygiene] == [("moved", HygieneCode.MISSING_AMOUNT)]


def test_weekly_review_with_mixed_currencies_keeps_quota_to_its_currency():
    deals = [deal(id="a", owner="r"), deal(id="b", owner="r", currency="EUR")]
    r = weekly_review(
        deals,
        team_owner_ids=["r"],
        week="2026-W12",
        now=NOW,
        config=CFG,
        quotas={"2026-Q2": 1.0},
        currency="EUR",
    )
    assert [(c.period, c.currency, c.quota) for c in r.coverage] == [
        ("2026-Q1", "EUR", None),
        ("2026-Q1", "USD", None),
        ("2026-Q2", "EUR", 1.0),
        ("2026-Q2", "USD", None),
    ]


def test_weekly_review_of_an_empty_team():
    r = weekly_review(_deals(), team_owner_ids=(), week="2026-W12", now=NOW, config=CFG)
    assert (r.at_risk, r.movement, r.next_steps, r.hygiene) == ((), (), (), ())
    assert [c.period for c in r.coverage] == ["2026-Q1", "2026-Q2"]


def test_weekly_review_needs_an_iso_week():
    with pytest.raises(PeriodError):
        weekly_review([], team_owner_ids=(), week="2026-Q1", now=NOW, config=CFG)
