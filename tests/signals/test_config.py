import json

import pytest

from signals.config import DEFAULT_WEIGHTS, RiskConfig
from signals.errors import ConfigError
from signals.types import CriterionCode, ForecastCategory, RiskCode, Stage


def test_defaults():
    c = RiskConfig()
    assert c.no_buyer_activity_days == 14
    assert c.single_threaded_min_contacts == 2
    assert c.engaged_window_days == 30
    assert (c.medium_at, c.high_at, c.cap) == (30, 60, 100)
    assert set(c.weights) == set(RiskCode)
    assert [c.stage_probabilities[s] for s in Stage] == [5, 10, 20, 50, 80, 100, 0]
    assert c.stage_forecast_categories[Stage.COMMIT] == ForecastCategory.COMMIT
    assert set(c.stage_expected_days) == {
        Stage.AWARENESS,
        Stage.QUALIFIED,
        Stage.DISCOVERY,
        Stage.PROPOSAL,
        Stage.COMMIT,
    }


def test_round_trips_through_json():
    c = RiskConfig()
    stored = json.dumps(c.to_dict())
    assert RiskConfig.from_dict(json.loads(stored)) == c
    assert json.loads(stored)["weights"]["no_buyer_activity"] == 25
    assert json.loads(stored)["stage_criteria"]["discovery"] == ["buyer_engaged", "pain_identified"]


def test_partial_dict_merges_over_defaults():
    c = RiskConfig.from_dict(
        {
            "weights": {"no_next_step": 3},
            "no_buyer_activity_days": 7,
            "stage_criteria": {"qualified": ["amount_set"]},
            "pricing_late_stages": ["commit"],
            "suggested_next_steps_count": False,
        }
    )
    assert c.weights[RiskCode.NO_NEXT_STEP] == 3
    assert c.weights[RiskCode.NO_BUYER_ACTIVITY] == DEFAULT_WEIGHTS[RiskCode.NO_BUYER_ACTIVITY]
    assert c.no_buyer_activity_days == 7
    assert c.stage_criteria[Stage.QUALIFIED] == (CriterionCode.AMOUNT_SET,)
    assert c.stage_criteria[Stage.COMMIT] == RiskConfig().stage_criteria[Stage.COMMIT]
    assert c.pricing_late_stages == (Stage.COMMIT,)
    assert c.suggested_next_steps_count is False
    assert RiskConfig.from_dict(c.to_dict()) == c


def test_float_whole_numbers_accepted_for_ints():
    assert RiskConfig.from_dict({"no_buyer_activity_days": 10.0}).no_buyer_activity_days == 10


@pytest.mark.parametrize(
    "data",
    [
        {"no_such_setting": 1},
        {"weights": {"made_up_code": 5}},
        {"weights": [1, 2]},
        {"weights": {"no_next_step": "5"}},
        {"weights": {"no_next_step": 5.5}},
        {"stage_probabilities": {"commit": None}},
        {"no_buyer_activity_days": "14"},
        {"no_buyer_activity_days": 14.5},
        {"no_buyer_activity_days": True},
        {"suggested_next_steps_count": 1},
        {"stage_criteria": {"proposal": ["telepathy"]}},
        {"stage_probabilities": {"commit": 120}},
        {"medium_at": 70},
        {"weights": {"no_next_step": -1}},
        {"risk_discount": 1.5},
        {"push_max_counted": 0},
        {"stage_expected_days": {"proposal": 0}},
    ],
)
def test_invalid_config_is_rejected(data):
    with pytest.raises(ConfigError):
        RiskConfig.from_dict(data)
