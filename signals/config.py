"""RiskConfig: every number RevOps can tune, with defaults, stored as JSON.

`RiskConfig.from_dict` accepts a partial object: missing keys keep their
defaults and maps (weights, stage tables) are merged over the default maps, so a
stored config only needs the overrides. Unknown keys are rejected (typo safety).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, TypeVar

from signals.errors import ConfigError
from signals.types import CriterionCode, ForecastCategory, RiskCode, Stage

__all__ = ["DEFAULT_STAGE_CRITERIA", "DEFAULT_WEIGHTS", "RiskConfig"]

_C = CriterionCode
_DISCOVERY = (_C.BUYER_ENGAGED, _C.PAIN_IDENTIFIED)
_PROPOSAL = (*_DISCOVERY, _C.DECISION_MAKER_KNOWN, _C.AMOUNT_SET)
_COMMIT = (*_PROPOSAL, _C.CLOSE_DATE_SET, _C.ECONOMIC_BUYER_ON_CALL, _C.CONFIRMED_NEXT_STEP)

DEFAULT_STAGE_CRITERIA: dict[Stage, tuple[CriterionCode, ...]] = {
    Stage.AWARENESS: (),
    Stage.QUALIFIED: (_C.BUYER_ENGAGED,),
    Stage.DISCOVERY: _DISCOVERY,
    Stage.PROPOSAL: _PROPOSAL,
    Stage.COMMIT: _COMMIT,
    Stage.CLOSED_WON: _COMMIT,
    Stage.CLOSED_LOST: (),
}

DEFAULT_WEIGHTS: dict[RiskCode, int] = {
    RiskCode.NO_BUYER_ACTIVITY: 25,
    RiskCode.NO_DECISION_MAKER: 15,
    RiskCode.DECISION_MAKER_ABSENT: 10,
    RiskCode.NO_NEXT_STEP: 15,
    RiskCode.NEXT_STEP_OVERDUE: 10,
    RiskCode.CLOSE_DATE_PUSHED: 10,  # per push
    RiskCode.SINGLE_THREADED: 10,
    RiskCode.STALLED_IN_STAGE: 10,
    RiskCode.OPEN_OBJECTIONS: 5,  # per open objection
    RiskCode.STAGE_CRITERIA_UNMET: 10,
}

DEFAULT_STAGE_DAYS: dict[Stage, int] = {
    Stage.AWARENESS: 14,
    Stage.QUALIFIED: 14,
    Stage.DISCOVERY: 21,
    Stage.PROPOSAL: 21,
    Stage.COMMIT: 14,
}

DEFAULT_PROBABILITIES: dict[Stage, int] = {
    Stage.AWARENESS: 5,
    Stage.QUALIFIED: 10,
    Stage.DISCOVERY: 20,
    Stage.PROPOSAL: 50,
    Stage.COMMIT: 80,
    Stage.CLOSED_WON: 100,
    Stage.CLOSED_LOST: 0,
}

_F = ForecastCategory
DEFAULT_FORECAST_CATEGORIES: dict[Stage, ForecastCategory] = {
    Stage.AWARENESS: _F.PIPELINE,
    Stage.QUALIFIED: _F.PIPELINE,
    Stage.DISCOVERY: _F.PIPELINE,
    Stage.PROPOSAL: _F.BEST_CASE,
    Stage.COMMIT: _F.COMMIT,
    Stage.CLOSED_WON: _F.CLOSED,
    Stage.CLOSED_LOST: _F.OMITTED,
}

# Early deals are not expected to know their decision-maker or have several contacts yet.
DEFAULT_FACTOR_MIN_STAGE: dict[RiskCode, Stage] = {
    RiskCode.NO_DECISION_MAKER: Stage.QUALIFIED,
    RiskCode.DECISION_MAKER_ABSENT: Stage.DISCOVERY,
    RiskCode.SINGLE_THREADED: Stage.DISCOVERY,
}


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """Tunable weights and thresholds (defaults documented in signals/README.md)."""

    weights: Mapping[RiskCode, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    no_buyer_activity_days: int = 14  # fires when silence is strictly longer than this
    single_threaded_min_contacts: int = 2
    engaged_window_days: int = 30  # a contact counts as engaged if last engaged within this
    medium_at: int = 30  # low < 30 <= medium < 60 <= high
    high_at: int = 60
    cap: int = 100
    stage_expected_days: Mapping[Stage, int] = field(default_factory=lambda: dict(DEFAULT_STAGE_DAYS))
    pricing_late_multiplier: float = 2.0
    pricing_late_stages: tuple[Stage, ...] = (Stage.PROPOSAL, Stage.COMMIT)
    open_objections_max_points: int = 20
    pushed_without_activity_multiplier: float = 1.5
    push_news_window_days: int = 14  # buyer activity this close before a push counts as news
    push_lookback_days: int = 90
    push_max_counted: int = 3
    suggested_next_steps_count: bool = True  # unreviewed suggestions count as open next steps
    factor_min_stage: Mapping[RiskCode, Stage] = field(default_factory=lambda: dict(DEFAULT_FACTOR_MIN_STAGE))
    stage_probabilities: Mapping[Stage, int] = field(default_factory=lambda: dict(DEFAULT_PROBABILITIES))
    stage_forecast_categories: Mapping[Stage, ForecastCategory] = field(
        default_factory=lambda: dict(DEFAULT_FORECAST_CATEGORIES)
    )
    stage_criteria: Mapping[Stage, tuple[CriterionCode, ...]] = field(
        default_factory=lambda: dict(DEFAULT_STAGE_CRITERIA)
    )
    risk_discount: float = 0.5  # adjusted p = p * (1 - risk_discount * score / 100)

    def __post_init__(self) -> None:
        _validate(self)

    def weight(self, code: RiskCode) -> int:
        return self.weights.get(code, 0)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict that `from_dict` reads back to an equal config."""
        out: dict[str, Any] = {}
        for f in fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskConfig:
        """Build a config from (possibly partial) stored JSON; raises ConfigError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown risk config keys: {', '.join(sorted(unknown))}")
        base = cls()
        changes: dict[str, Any] = {}
        try:
            for name, value in data.items():
                changes[name] = _PARSERS.get(name, _scalar(name))(value, getattr(base, name))
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"invalid risk config value: {exc}") from exc
        return replace(base, **changes)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, StrEnum):
        return str(value)
    return value


_K = TypeVar("_K", bound=StrEnum)
_V = TypeVar("_V")


def _merge(
    key_type: type[_K], convert: Callable[[Any], _V]
) -> Callable[[Any, Mapping[_K, _V]], dict[_K, _V]]:
    def parse(value: Any, default: Mapping[_K, _V]) -> dict[_K, _V]:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        merged = dict(default)
        merged.update({key_type(k): convert(v) for k, v in value.items()})
        return merged

    return parse


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise TypeError(f"expected a whole number, got {value!r}")
    return int(value)


def _criteria(value: Any) -> tuple[CriterionCode, ...]:
    return tuple(CriterionCode(v) for v in value)


def _stages(value: Any, _default: Any) -> tuple[Stage, ...]:
    return tuple(Stage(v) for v in value)


def _scalar(name: str) -> Callable[[Any, Any], Any]:
    def parse(value: Any, default: Any) -> Any:
        kind = type(default)
        ok = isinstance(value, bool) if kind is bool else isinstance(value, int | float)
        if not ok or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"{name} must be {kind.__name__}, got {value!r}")
        if kind is int and value != int(value):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        return kind(value)

    return parse


_PARSERS: dict[str, Callable[[Any, Any], Any]] = {
    "weights": _merge(RiskCode, _whole),
    "stage_expected_days": _merge(Stage, _whole),
    "factor_min_stage": _merge(RiskCode, Stage),
    "stage_probabilities": _merge(Stage, _whole),
    "stage_forecast_categories": _merge(Stage, ForecastCategory),
    "stage_criteria": _merge(Stage, _criteria),
    "pricing_late_stages": _stages,
}


def _validate(c: RiskConfig) -> None:
    problems: list[str] = []
    if any(w < 0 for w in c.weights.values()):
        problems.append("weights must be >= 0")
    if not 0 < c.medium_at < c.high_at <= c.cap:
        problems.append("need 0 < medium_at < high_at <= cap")
    if any(d <= 0 for d in c.stage_expected_days.values()):
        problems.append("stage_expected_days must be > 0")
    if any(not 0 <= p <= 100 for p in c.stage_probabilities.values()):
        problems.append("stage_probabilities must be within 0..100")
    if not 0 <= c.risk_discount <= 1:
        problems.append("risk_discount must be within 0..1")
    if c.pricing_late_multiplier < 0 or c.pushed_without_activity_multiplier < 0:
        problems.append("multipliers must be >= 0")
    windows = (c.no_buyer_activity_days, c.engaged_window_days, c.push_news_window_days, c.push_lookback_days)
    if min(windows) < 0 or c.single_threaded_min_contacts < 0 or c.push_max_counted < 1:
        problems.append("day windows and counts must be >= 0 (push_max_counted >= 1)")
    if problems:
        raise ConfigError("invalid risk config: " + "; ".join(problems))
