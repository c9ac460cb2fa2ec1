"""Pipeline health: next-step coverage, update latency, push rate, velocity, stage accuracy, hygiene.

Shares are 0..1 (rounded to 3 decimals) and None when there is nothing to measure.
Only open deals count, except for velocity (completed stage stints of any deal).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from signals.config import RiskConfig
from signals.factors import open_next_steps
from signals.stages import unmet_criteria_for_current_stage
from signals.types import DealState, Stage

__all__ = [
    "HygieneCode",
    "HygieneIssue",
    "LatencyStats",
    "PipelineHealth",
    "StageVelocity",
    "hygiene_issues",
    "next_step_coverage",
    "pipeline_health",
    "push_rate",
    "stage_accuracy",
    "stage_velocity",
    "update_latency",
]


class HygieneCode(StrEnum):
    MISSING_AMOUNT = "missing_amount"
    NO_CLOSE_DATE = "no_close_date"
    CLOSE_DATE_PAST = "close_date_past"
    NO_OWNER = "no_owner"


@dataclass(frozen=True, slots=True)
class HygieneIssue:
    deal_id: str
    code: HygieneCode
    detail: str


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Hours from a call to the deal reflecting it (CallEvidence.reflected_at)."""

    calls: int
    reflected: int
    pending: int
    mean_hours: float | None
    median_hours: float | None
    max_hours: float | None


@dataclass(frozen=True, slots=True)
class StageVelocity:
    stage: Stage
    stints: int
    mean_days: float


@dataclass(frozen=True, slots=True)
class PipelineHealth:
    open_deals: int
    next_step_coverage: float | None
    latency: LatencyStats
    push_rate: float | None
    velocity: tuple[StageVelocity, ...]
    stage_accuracy: float | None
    hygiene: tuple[HygieneIssue, ...]


def _open(deals: Sequence[DealState]) -> list[DealState]:
    return [d for d in deals if not d.stage.is_closed]


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def next_step_coverage(deals: Sequence[DealState], config: RiskConfig) -> float | None:
    """Share of open deals with an open next step that has a due date."""
    live = _open(deals)
    dated = sum(any(n.due is not None for n in open_next_steps(d, config)) for d in live)
    return _share(dated, len(live))


def update_latency(deals: Sequence[DealState]) -> LatencyStats:
    """Latency from each call on an open deal to the deal reflecting it; unreflected calls are pending."""
    calls = [c for d in _open(deals) for c in d.calls]
    hours = [(c.reflected_at - c.at).total_seconds() / 3600 for c in calls if c.reflected_at is not None]
    return LatencyStats(
        calls=len(calls),
        reflected=len(hours),
        pending=len(calls) - len(hours),
        mean_hours=round(statistics.fmean(hours), 2) if hours else None,
        median_hours=round(statistics.median(hours), 2) if hours else None,
        max_hours=round(max(hours), 2) if hours else None,
    )


def push_rate(deals: Sequence[DealState], *, since: dt.datetime, until: dt.datetime) -> float | None:
    """Share of open deals whose close date was pushed later within [since, until]."""
    live = _open(deals)
    pushed = sum(any(c.is_push and since <= c.at <= until for c in d.close_date_changes) for d in live)
    return _share(pushed, len(live))


def _stints(deal: DealState) -> list[tuple[Stage, float]]:
    changes = sorted(deal.stage_changes, key=lambda c: c.at)
    if not changes:
        return []
    entries: list[tuple[dt.datetime, Stage]] = []
    if changes[0].from_stage is not None:
        entries.append((deal.created_at, changes[0].from_stage))
    entries += [(c.at, c.to_stage) for c in changes]
    pairs = zip(entries, entries[1:], strict=False)
    return [
        (stage, (nxt - at).total_seconds() / 86400) for (at, stage), (nxt, _) in pairs if not stage.is_closed
    ]


def stage_velocity(deals: Sequence[DealState]) -> tuple[StageVelocity, ...]:
    """Mean days per stage over completed stints (entering a stage until leaving it), in stage order."""
    days: dict[Stage, list[float]] = {}
    for deal in deals:
        for stage, length in _stints(deal):
            days.setdefault(stage, []).append(length)
    return tuple(
        StageVelocity(stage, len(days[stage]), round(statistics.fmean(days[stage]), 1))
        for stage in Stage
        if stage in days
    )


def stage_accuracy(deals: Sequence[DealState], config: RiskConfig) -> float | None:
    """Share of open deals whose current stage's criteria all hold."""
    live = _open(deals)
    ok = sum(not unmet_criteria_for_current_stage(d, criteria=config.stage_criteria) for d in live)
    return _share(ok, len(live))


def _issues(deal: DealState, today: dt.date) -> list[HygieneIssue]:
    found: list[HygieneIssue] = []
    if deal.amount is None or deal.amount <= 0:
        found.append(HygieneIssue(deal.id, HygieneCode.MISSING_AMOUNT, "No amount"))
    if deal.close_date is None:
        found.append(HygieneIssue(deal.id, HygieneCode.NO_CLOSE_DATE, "No close date"))
    elif deal.close_date < today:
        detail = f"Close date {deal.close_date.isoformat()} is in the past"
        found.append(HygieneIssue(deal.id, HygieneCode.CLOSE_DATE_PAST, detail))
    if not deal.owner:
        found.append(HygieneIssue(deal.id, HygieneCode.NO_OWNER, "No owner"))
    return found


def hygiene_issues(deals: Sequence[DealState], *, now: dt.datetime) -> tuple[HygieneIssue, ...]:
    """CRM hygiene problems on open deals, by deal id; a close date today is not in the past."""
    today = now.astimezone(dt.UTC).date()
    return tuple(i for d in sorted(_open(deals), key=lambda d: d.id) for i in _issues(d, today))


def pipeline_health(deals: Sequence[DealState], *, now: dt.datetime, config: RiskConfig) -> PipelineHealth:
    """All health metrics at once; push rate over the last `config.push_lookback_days`."""
    since = now - dt.timedelta(days=config.push_lookback_days)
    return PipelineHealth(
        open_deals=len(_open(deals)),
        next_step_coverage=next_step_coverage(deals, config),
        latency=update_latency(deals),
        push_rate=push_rate(deals, since=since, until=now),
        velocity=stage_velocity(deals),
        stage_accuracy=stage_accuracy(deals, config),
        hygiene=hygiene_issues(deals, now=now),
    )
