"""Deal risk: the sum of explainable factors, capped, with a level.

`score = min(config.cap, sum(f.points for f in factors))`. A factor fires only
when its weight is > 0 and the deal has reached the factor's minimum stage
(`RiskConfig.factor_min_stage`). Factors are ordered by points (highest first),
ties by the declaration order of `RiskCode`. Closed deals score 0 with no factors.
"""

from __future__ import annotations

import datetime as dt

from signals.config import RiskConfig
from signals.errors import NaiveDatetimeError
from signals.factors import FACTORS
from signals.types import DealState, RiskCode, RiskFactor, RiskLevel, RiskScore, Stage

__all__ = ["applicable_codes", "factor_applies", "require_aware", "risk_level", "score_deal", "summarize"]

_ORDER = {code: i for i, code in enumerate(RiskCode)}


def require_aware(now: dt.datetime) -> None:
    """Reject naive datetimes: comparing them with stored aware ones would be wrong or fail."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetimeError("now must be timezone-aware (e.g. datetime.now(UTC))")


def risk_level(score: int, config: RiskConfig) -> RiskLevel:
    """Map a score to a level: low < medium_at <= medium < high_at <= high."""
    if score >= config.high_at:
        return RiskLevel.HIGH
    if score >= config.medium_at:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def factor_applies(code: RiskCode, deal: DealState, config: RiskConfig) -> bool:
    """Whether a factor is weighed at all for the deal: a positive weight and the stage reached."""
    return code in applicable_codes(deal.stage, config)


# Which factors apply depends only on the stage and the config: worked out once per config (the
# config is immutable; it is kept here so its id cannot be reused while cached).
_APPLICABLE: dict[int, tuple[RiskConfig, dict[Stage, tuple[RiskCode, ...]]]] = {}


def applicable_codes(stage: Stage, config: RiskConfig) -> tuple[RiskCode, ...]:
    """The factor codes weighed for a deal in `stage`, in `FACTORS` order."""
    cached = _APPLICABLE.get(id(config))
    if cached is None or cached[0] is not config:
        table = {
            s: tuple(
                code
                for code in FACTORS
                if config.weight(code) > 0
                and s.rank >= config.factor_min_stage.get(code, Stage.AWARENESS).rank
            )
            for s in Stage
        }
        if len(_APPLICABLE) >= 16:
            _APPLICABLE.clear()
        cached = _APPLICABLE[id(config)] = (config, table)
    return cached[1][stage]


def score_deal(deal: DealState, *, now: dt.datetime, config: RiskConfig) -> RiskScore:
    """Score a deal's risk from its evidence.

    Args:
        deal: the deal and its evidence.
        now: the moment to score at (timezone-aware).
        config: weights and thresholds.

    Returns:
        RiskScore whose factor points add up to the score (unless `capped`).
    """
    require_aware(now)
    if deal.stage.is_closed:
        return RiskScore(score=0, level=RiskLevel.LOW)
    found: list[RiskFactor] = []
    for code in applicable_codes(deal.stage, config):
        result = FACTORS[code](deal, now, config)
        if result is not None and result.points > 0:
            found.append(result)
    found.sort(key=lambda f: (-f.points, _ORDER[f.code]))
    raw = sum(f.points for f in found)
    score = min(raw, config.cap)
    return RiskScore(
        score=score,
        level=risk_level(score, config),
        factors=tuple(found),
        capped=raw > config.cap,
        raw_points=raw,
    )


def summarize(risk: RiskScore) -> str:
    """Describe a score in one line, saying when the points were capped."""
    head = f"{risk.level.capitalize()} risk ({risk.score}/100)"
    if not risk.factors:
        return f"{head}: no risk factors"
    top = ", ".join(f"{f.code} +{f.points}" for f in risk.factors)
    if risk.capped:
        return f"{head}: {top}; {risk.raw_points} points capped at {risk.score}"
    return f"{head}: {top}"
