import datetime as dt

import pytest

from signals.config import RiskConfig
from signals.errors import MixedCurrencyError, PeriodError
from signals.forecast import (
    adjusted_probability,
    deal_probability,
    forecast_category,
    pipeline_coverage,
    slipped_deals,
    weighted_pipeline,
)
from signals.periods import PeriodKind, month_of, parse_period, quarter_of, week_of
from signals.types import CloseDateChange, ForecastCategory, Stage
from tests.signals.factories import deal

CFG = RiskConfig()
D = dt.date


def at(month, day):
    return dt.datetime(2026, month, day, 12, tzinfo=dt.UTC)


# periods


def test_parse_quarter_month_week():
    q = parse_period("2026-Q3")
    assert (q.kind, q.start, q.end, q.label) == (PeriodKind.QUARTER, D(2026, 7, 1), D(2026, 10, 1), "2026-Q3")
    assert parse_period("2026-q4").end == D(2027, 1, 1)
    m = parse_period("2026-12")
    assert (m.kind, m.start, m.end) == (PeriodKind.MONTH, D(2026, 12, 1), D(2027, 1, 1))
    w = parse_period("2026-W14")
    assert (w.kind, w.start, w.end, w.label) == (PeriodKind.WEEK, D(2026, 3, 30), D(2026, 4, 6), "2026-W14")


def test_iso_week_across_years():
    assert parse_period("2026-W01").start == D(2025, 12, 29)
    assert week_of(D(2027, 1, 1)).label == "2026-W53"
    assert parse_period("2026-W53").next().label == "2027-W01"


@pytest.mark.parametrize("label", ["2026-Q5", "2026-13", "2026-W54", "2025-W53", "26-Q1", "Q3 2026", ""])
def test_bad_periods(label):
    with pytest.raises(PeriodError):
        parse_period(label)


def test_period_helpers():
    assert quarter_of(D(2026, 12, 31)).next().label == "2027-Q1"
    assert month_of(D(2026, 2, 14)).end == D(2026, 3, 1)
    q = quarter_of(D(2026, 5, 5))
    assert q.contains(D(2026, 4, 1)) and q.contains(D(2026, 6, 30)) and not q.contains(D(2026, 7, 1))


# probabilities


def test_deal_probability_override_and_default():
    assert deal_probability(deal(stage=Stage.PROPOSAL), CFG) == 50
    assert deal_probability(deal(stage=Stage.PROPOSAL, probability=35), CFG) == 35


def test_adjusted_probability_formula():
    assert adjusted_probability(80, 0, CFG) == 80
    assert adjusted_probability(80, 50, CFG) == 60  # 80 × (1 − 0.5 × 0.5)
    assert adjusted_probability(80, 100, CFG) == 40
    assert adjusted_probability(80, 150, CFG) == 40  # scores are clamped to 0..100


def test_forecast_category_override_and_default():
    assert forecast_category(deal(stage=Stage.PROPOSAL), CFG) == ForecastCategory.BEST_CASE
    d = deal(stage=Stage.PROPOSAL, forecast_category=ForecastCategory.COMMIT)
    assert forecast_category(d, CFG) == ForecastCategory.COMMIT


# pipeline


def _book():
    return [
        deal(id="a", stage=Stage.COMMIT, amount=100_000.0, close_date=D(2026, 8, 15)),
        deal(id="b", stage=Stage.PROPOSAL, amount=40_000.0, close_date=D(2026, 9, 30)),
        deal(id="c", stage=Stage.DISCOVERY, amount=None, close_date=D(2026, 7, 2)),
        deal(id="d", stage=Stage.CLOSED_WON, amount=10_000.0, close_date=D(2026, 7, 10)),
        deal(id="e", stage=Stage.PROPOSAL, amount=99_000.0, close_date=D(2026, 10, 1)),
        deal(id="f", stage=Stage.COMMIT, amount=5_000.0, close_date=None),
    ]


def test_weighted_pipeline_by_category():
    s = weighted_pipeline(_book(), config=CFG, period=parse_period("2026-Q3"), scores={"a": 50})
    assert s.deals == 4 and s.currency == "USD"
    rows = {c.category: c for c in s.by_category}
    assert list(rows) == [
        ForecastCategory.PIPELINE,
        ForecastCategory.BEST_CASE,
        ForecastCategory.COMMIT,
        ForecastCategory.CLOSED,
    ]
    assert (rows[ForecastCategory.COMMIT].weighted, rows[ForecastCategory.COMMIT].adjusted) == (
        80_000.0,
        60_000.0,
    )
    assert rows[ForecastCategory.BEST_CASE].weighted == 20_000.0
    assert rows[ForecastCategory.PIPELINE].amount == 0.0
    assert rows[ForecastCategory.CLOSED].weighted == rows[ForecastCategory.CLOSED].adjusted == 10_000.0
    assert s.weighted == 110_000.0 and s.adjusted == 90_000.0 and s.amount == 150_000.0


def test_weighted_pipeline_without_period_takes_every_deal():
    assert weighted_pipeline(_book(), config=CFG).deals == 6


def test_mixed_currencies_must_be_chosen():
    book = [*_book(), deal(id="g", currency="EUR", amount=1.0)]
    with pytest.raises(MixedCurrencyError):
        weighted_pipeline(book, config=CFG)
    eur = weighted_pipeline(book, config=CFG, currency="EUR")
    assert (eur.deals, eur.currency) == (1, "EUR")


def test_pipeline_coverage():
    q3 = parse_period("2026-Q3")
    c = pipeline_coverage(_book(), period=q3, quota=200_000.0, config=CFG)
    assert (c.period, c.open_amount, c.open_weighted, c.closed_won) == (
        "2026-Q3",
        140_000.0,
        100_000.0,
        10_000.0,
    )
    assert c.ratio == 0.5
    assert pipeline_coverage(_book(), period=q3, quota=None, config=CFG).ratio is None
    empty = pipeline_coverage([], period=q3, quota=1.0, config=CFG)
    assert (empty.open_weighted, empty.ratio, empty.currency) == (0.0, 0.0, None)


# slipped deals


def test_slipped_out_of_the_period_during_the_period():
    q1 = parse_period("2026-Q1")
    slipped = deal(
        id="s",
        close_date=D(2026, 4, 30),
        close_date_changes=(CloseDateChange(at(3, 20), D(2026, 3, 31), D(2026, 4, 30)),),
    )
    within = deal(
        id="w",
        close_date=D(2026, 3, 30),
        close_date_changes=(CloseDateChange(at(3, 1), D(2026, 3, 1), D(2026, 3, 30)),),
    )
    before = deal(  # moved out before the period started: not a slip of this period
        id="b",
        close_date=D(2026, 5, 1),
        close_date_changes=(
            CloseDateChange(at(12, 1) - dt.timedelta(days=365), D(2026, 2, 1), D(2026, 5, 1)),
        ),
    )
    back = deal(  # moved out, then pulled back in
        id="k",
        close_date=D(2026, 3, 25),
        close_date_changes=(
            CloseDateChange(at(2, 1), D(2026, 3, 1), D(2026, 4, 15)),
            CloseDateChange(at(2, 10), D(2026, 4, 15), D(2026, 3, 25)),
        ),
    )
    (slip,) = slipped_deals([within, slipped, before, back], period=q1)
    assert (slip.deal_id, slip.at, slip.from_date, slip.to_date) == (
        "s",
        at(3, 20),
        D(2026, 3, 31),
        D(2026, 4, 30),
    )
