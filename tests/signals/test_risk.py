import datetime as dt
import json
from dataclasses import replace

import pytest

from signals.config import RiskConfig
from signals.errors import NaiveDatetimeError, SignalsError
from signals.risk import risk_level, score_deal
from signals.types import RiskCode, RiskLevel, Stage, StoredScore
from tests.signals.factories import NOW, TODAY, ago, call, champion, deal, objection, step

CFG = RiskConfig()


def test_healthy_deal_scores_zero():
    r = score_deal(deal(), now=NOW, config=CFG)
    assert (r.score, r.level, r.factors, r.capped) == (0, RiskLevel.LOW, (), False)


@pytest.mark.parametrize("stage", [Stage.CLOSED_WON, Stage.CLOSED_LOST])
def test_closed_deals_score_zero_without_factors(stage):
    d = deal(stage=stage, calls=(), stakeholders=(), next_steps=(), created_at=ago(400))
    r = score_deal(d, now=NOW, config=CFG)
    assert (r.score, r.level, r.factors) == (0, RiskLevel.LOW, ())


def test_points_add_up_to_the_score():
    d = deal(calls=(call(at=ago(20)),), next_steps=(step(due=TODAY - dt.timedelta(days=2)),))
    r = score_deal(d, now=NOW, config=CFG)
    assert [f.code for f in r.factors] == [RiskCode.NO_BUYER_ACTIVITY, RiskCode.NEXT_STEP_OVERDUE]
    assert r.score == sum(f.points for f in r.factors) == r.raw_points == 35
    assert r.level == RiskLevel.MEDIUM
    assert not r.capped


def test_score_is_capped_and_says_so():
    d = deal(
        stage=Stage.COMMIT,
        calls=(),
        created_at=ago(60),
        stage_entered_at=ago(60),
        stakeholders=(),
        next_steps=(),
        objections=tuple(objection(f"o{i}") for i in range(4)),
    )
    r = score_deal(d, now=NOW, config=CFG)
    assert r.raw_points > 100
    assert r.score == 100 and r.capped and r.level == RiskLevel.HIGH
    assert r.to_dict()["capped"] is True


def test_factors_sorted_by_points_then_code_order():
    d = deal(
        calls=(call(at=ago(20)),),  # 25
        stakeholders=(champion(),),  # no_decision_maker 15, single_threaded 10
        stage_entered_at=ago(30),  # stalled 10
    )
    r = score_deal(d, now=NOW, config=CFG)
    assert [(f.code, f.points) for f in r.factors] == [
        (RiskCode.NO_BUYER_ACTIVITY, 25),
        (RiskCode.NO_DECISION_MAKER, 15),
        (RiskCode.SINGLE_THREADED, 10),
        (RiskCode.STALLED_IN_STAGE, 10),
    ]


def test_deal_with_no_calls():
    d = deal(calls=(), created_at=ago(20), stage=Stage.QUALIFIED)
    codes = {f.code for f in score_deal(d, now=NOW, config=CFG).factors}
    assert codes == {RiskCode.NO_BUYER_ACTIVITY, RiskCode.STAGE_CRITERIA_UNMET}


def test_zero_weight_disables_a_factor():
    cfg = RiskConfig.from_dict({"weights": {"no_buyer_activity": 0}})
    d = deal(calls=(call(at=ago(20)),))
    assert score_deal(d, now=NOW, config=cfg).factors == ()


def test_early_stages_skip_stakeholder_factors():
    d = deal(stage=Stage.AWARENESS, stakeholders=())
    assert score_deal(d, now=NOW, config=CFG).factors == ()
    q = score_deal(replace(d, stage=Stage.QUALIFIED), now=NOW, config=CFG)
    assert [f.code for f in q.factors] == [RiskCode.NO_DECISION_MAKER]


def test_min_stage_is_tunable():
    cfg = RiskConfig.from_dict({"factor_min_stage": {"no_decision_maker": "awareness"}})
    d = deal(stage=Stage.AWARENESS, stakeholders=())
    assert [f.code for f in score_deal(d, now=NOW, config=cfg).factors] == [RiskCode.NO_DECISION_MAKER]


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, RiskLevel.LOW),
        (29, RiskLevel.LOW),
        (30, RiskLevel.MEDIUM),
        (59, RiskLevel.MEDIUM),
        (60, RiskLevel.HIGH),
    ],
)
def test_level_cut_offs(score, level):
    assert risk_level(score, CFG) == level


def test_naive_now_is_rejected():
    with pytest.raises(NaiveDatetimeError) as info:
        score_deal(deal(), now=dt.datetime(2026, 3, 16), config=CFG)
    assert isinstance(info.value, SignalsError) and isinstance(info.value, ValueError)


def test_other_timezones_are_fine():
    tokyo = NOW.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert score_deal(deal(), now=tokyo, config=CFG).score == 0


def test_to_dict_matches_the_contract_shape():
    d = deal(next_steps=())
    out = score_deal(d, now=NOW, config=CFG).to_dict()
    assert out["score"] == 15 and out["level"] == "low"
    (factor,) = out["factors"]
    assert set(factor) == {"code", "points", "detail", "evidence"}
    assert factor["code"] == "no_next_step"
    assert set(factor["evidence"][0]) == {"kind", "call_id", "utterance", "field", "at", "value"}


def test_scoring_is_deterministic():
    d = deal(calls=(call(at=ago(20)),), stakeholders=(champion(),), next_steps=())
    assert score_deal(d, now=NOW, config=CFG) == score_deal(d, now=NOW, config=CFG)


def test_summarize():
    from signals.risk import summarize

    assert summarize(score_deal(deal(), now=NOW, config=CFG)) == "Low risk (0/100): no risk factors"
    one = score_deal(deal(next_steps=()), now=NOW, config=CFG)
    assert summarize(one) == "Low risk (15/100): no_next_step +15"
    capped = replace(one, score=100, level=RiskLevel.HIGH, capped=True, raw_points=105)
    assert summarize(capped).endswith("; 105 points capped at 100")


@pytest.mark.parametrize("silent_days", [3, 20, 400])
def test_a_stored_score_reads_back_as_the_score_it_was_stored_from(silent_days):
    # Stored as the contract's JSON; a review serves it without rebuilding factor objects.
    d = deal(
        calls=(call(at=ago(silent_days)),),
        stakeholders=(champion(),),
        next_steps=(step(due=TODAY - dt.timedelta(days=2)),),
        objections=(objection(),),
        created_at=ago(500),
    )
    risk = score_deal(d, now=NOW, config=CFG)
    stored = json.loads(json.dumps([f.to_dict() for f in risk.factors]))
    back = StoredScore.read(risk.score, str(risk.level), stored)
    assert back.to_dict() == risk.to_dict()
    assert back.parsed() == risk and back.factors == risk.factors
    assert (back.capped, back.raw_points) == (risk.capped, risk.raw_points)
