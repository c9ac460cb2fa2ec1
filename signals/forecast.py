"""Forecast: weighted pipeline, signal-adjusted probability, coverage, slipped deals.

- probability: the deal's override, else the stage default (RiskConfig.stage_probabilities).
- weighted = amount × probability / 100.
- adjusted probability = p × (1 − risk_discount × score / 100); default risk_discount 0.5,
  so a deal scoring 100 keeps half its stage probability. Closed deals are not adjusted.
- coverage ratio = open weighted pipeline closing in the period / quota.
- slipped: during the period, the close date moved from inside the period to after it,
  and the deal still closes after the period (Gong's "pushed out").
Amounts are summed only within one currency (MixedCurrencyError otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from signals.config import RiskConfig
from signals.errors import MixedCurrencyError
from signals.periods import Period
from signals.types import DealState, ForecastCategory, Stage

__all__ = [
    "CategoryTotal",
    "PeriodCoverage",
    "PipelineSummary",
    "Slip",
    "adjusted_probability",
    "deal_probability",
    "forecast_category",
    "pipeline_coverage",
    "slipped_deals",
    "weighted_pipeline",
]


@dataclass(frozen=True, slots=True)
class CategoryTotal:
    category: ForecastCategory
    deals: int
    amount: float
    weighted: float
    adjusted: float


@dataclass(frozen=True, slots=True)
class PipelineSummary:
    currency: str | None
    deals: int
    amount: float
    weighted: float
    adjusted: float
    by_category: tuple[CategoryTotal, ...]  # in ForecastCategory order, empty categories left out


@dataclass(frozen=True, slots=True)
class PeriodCoverage:
    period: str
    currency: str | None
    quota: float | None
    open_amount: float
    open_weighted: float
    open_adjusted: float
    closed_won: float
    ratio: float | None  # open_weighted / quota; None without a (positive) quota


@dataclass(frozen=True, slots=True)
class Slip:
    deal_id: str
    at: dt.datetime  # the change that moved the close date out of the period
    from_date: dt.date
    to_date: dt.date


def deal_probability(deal: DealState, config: RiskConfig) -> int:
    """The deal's probability override, else its stage's default probability."""
    if deal.probability is not None:
        return deal.probability
    return config.stage_probabilities.get(deal.stage, 0)


def adjusted_probability(probability: float, score: int, config: RiskConfig) -> float:
    """Lower a probability by risk: p × (1 − risk_discount × score / 100)."""
    bounded = min(max(score, 0), 100)
    return probability * (1 - config.risk_discount * bounded / 100)


def forecast_category(deal: DealState, config: RiskConfig) -> ForecastCategory:
    """The deal's own category, else its stage's default."""
    if deal.forecast_category is not None:
        return deal.forecast_category
    return config.stage_forecast_categories.get(deal.stage, ForecastCategory.PIPELINE)


def _select(deals: Sequence[DealState], period: Period | None, currency: str | None) -> list[DealState]:
    picked = [
        d for d in deals if period is None or (d.close_date is not None and period.contains(d.close_date))
    ]
    if currency is not None:
        return [d for d in picked if d.currency == currency]
    currencies = {d.currency for d in picked}
    if len(currencies) > 1:
        raise MixedCurrencyError(f"deals in {', '.join(sorted(currencies))}; pass currency= to choose one")
    return picked


def _values(deal: DealState, config: RiskConfig, scores: Mapping[str, int]) -> tuple[float, float, float]:
    amount = deal.amount or 0.0
    p = deal_probability(deal, config)
    p_adj = p if deal.stage.is_closed else adjusted_probability(p, scores.get(deal.id, 0), config)
    return amount, amount * p / 100, amount * p_adj / 100


def weighted_pipeline(
    deals: Sequence[DealState],
    *,
    config: RiskConfig,
    scores: Mapping[str, int] | None = None,
    period: Period | None = None,
    currency: str | None = None,
) -> PipelineSummary:
    """Sum amount, weighted and risk-adjusted amounts, overall and per forecast category.

    Args:
        deals: deals to sum (closed ones included; won counts at 100%, lost at 0%).
        config: stage probabilities, categories and risk_discount.
        scores: deal id -> risk score, for the adjusted amounts (missing: 0).
        period: only deals whose close date falls in it.
        currency: only deals in this currency; required when deals mix currencies.
    """
    picked = _select(deals, period, currency)
    totals: dict[ForecastCategory, list[float]] = {}
    for deal in picked:
        row = totals.setdefault(forecast_category(deal, config), [0, 0.0, 0.0, 0.0])
        for i, value in enumerate((1.0, *_values(deal, config, scores or {}))):
            row[i] += value
    by_category = tuple(
        CategoryTotal(c, int(t[0]), round(t[1], 2), round(t[2], 2), round(t[3], 2))
        for c in ForecastCategory
        if (t := totals.get(c))
    )
    return PipelineSummary(
        currency=currency or (picked[0].currency if picked else None),
        deals=len(picked),
        amount=round(sum(c.amount for c in by_category), 2),
        weighted=round(sum(c.weighted for c in by_category), 2),
        adjusted=round(sum(c.adjusted for c in by_category), 2),
        by_category=by_category,
    )


def pipeline_coverage(
    deals: Sequence[DealState],
    *,
    period: Period,
    quota: float | None,
    config: RiskConfig,
    scores: Mapping[str, int] | None = None,
    currency: str | None = None,
) -> PeriodCoverage:
    """Open pipeline closing in the period against its quota."""
    picked = _select(deals, period, currency)
    open_deals = [d for d in picked if not d.stage.is_closed]
    values = [_values(d, config, scores or {}) for d in open_deals]
    weighted = round(sum(v[1] for v in values), 2)
    won = sum((d.amount or 0.0 for d in picked if d.stage == Stage.CLOSED_WON), 0.0)
    return PeriodCoverage(
        period=period.label,
        currency=currency or (picked[0].currency if picked else None),
        quota=quota,
        open_amount=round(sum(v[0] for v in values), 2),
        open_weighted=weighted,
        open_adjusted=round(sum(v[2] for v in values), 2),
        closed_won=round(won, 2),
        ratio=round(weighted / quota, 3) if quota else None,
    )


def _slip(deal: DealState, period: Period) -> Slip | None:
    if deal.close_date is not None and deal.close_date < period.end:
        return None  # pulled back into (or before) the period: not slipped
    moves = [
        c
        for c in deal.close_date_changes
        if c.from_date is not None
        and c.to_date is not None
        and period.contains(c.at.astimezone(dt.UTC).date())
        and period.contains(c.from_date)
        and c.to_date >= period.end
    ]
    if not moves:
        return None
    last = max(moves, key=lambda c: c.at)
    assert last.from_date is not None and last.to_date is not None  # filtered above
    return Slip(deal.id, last.at, last.from_date, last.to_date)


def slipped_deals(deals: Sequence[DealState], *, period: Period) -> tuple[Slip, ...]:
    """Deals whose close date was moved out of the period during the period, by deal id."""
    found = (_slip(d, period) for d in sorted(deals, key=lambda d: d.id))
    return tuple(s for s in found if s is not None)
