"""The manager's weekly pipeline review, as one pure function over a team's deals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from extract.types import OwnerSide
from signals.config import RiskConfig
from signals.errors import PeriodError
from signals.factors import open_next_steps
from signals.forecast import PeriodCoverage, pipeline_coverage
from signals.health import HygieneIssue, hygiene_issues
from signals.periods import Period, PeriodKind, parse_period, quarter_of
from signals.risk import require_aware, score_deal
from signals.types import AnyRisk, DealState, NextStepStatus, RiskLevel, Stage

__all__ = ["DUE_WINDOW_DAYS", "AtRiskDeal", "DueNextStep", "Movement", "WeeklyReview", "weekly_review"]

DUE_WINDOW_DAYS = 14  # next steps due this week or the next are listed


@dataclass(frozen=True, slots=True)
class AtRiskDeal:
    deal_id: str
    name: str | None
    owner: str | None
    stage: Stage
    amount: float | None
    currency: str
    close_date: dt.date | None
    risk: AnyRisk  # scored now, or stored and still fresh


@dataclass(frozen=True, slots=True)
class Movement:
    deal_id: str
    at: dt.datetime
    from_stage: Stage | None
    to_stage: Stage
    by: str | None
    override_reason: str | None  # why a move bypassed unmet criteria; None for regular moves
    forward: bool  # later in the funnel (closing lost counts as forward)


@dataclass(frozen=True, slots=True)
class DueNextStep:
    deal_id: str
    next_step_id: str
    text: str
    due: dt.date
    confirmed: bool
    status: NextStepStatus
    owner_side: OwnerSide
    call_id: str | None
    utterance: int | None


@dataclass(frozen=True, slots=True)
class WeeklyReview:
    week: str
    at_risk: tuple[AtRiskDeal, ...]  # medium or high risk, riskiest first
    movement: tuple[Movement, ...]  # stage changes during the week, in time order
    next_steps: tuple[DueNextStep, ...]  # open, dated, due this or next week
    coverage: tuple[PeriodCoverage, ...]  # this and next quarter (per currency)
    hygiene: tuple[HygieneIssue, ...]


def _at_risk(deals: Sequence[DealState], risks: Mapping[str, AnyRisk]) -> list[AtRiskDeal]:
    rows = [
        AtRiskDeal(d.id, d.name, d.owner, d.stage, d.amount, d.currency, d.close_date, risks[d.id])
        for d in deals
        if risks[d.id].level != RiskLevel.LOW
    ]
    return sorted(rows, key=lambda r: (-r.risk.score, -(r.amount or 0.0), r.deal_id))


def _movement(deals: Sequence[DealState], week: Period) -> list[Movement]:
    rows = [
        Movement(
            d.id, c.at, c.from_stage, c.to_stage, c.by, c.override_reason, _forward(c.from_stage, c.to_stage)
        )
        for d in deals
        for c in d.stage_changes
        if week.contains(c.at.astimezone(dt.UTC).date())
    ]
    return sorted(rows, key=lambda m: (m.at, m.deal_id))


def _forward(from_stage: Stage | None, to_stage: Stage) -> bool:
    return from_stage is None or to_stage.rank > from_stage.rank


def _next_steps(deals: Sequence[DealState], week: Period, config: RiskConfig) -> list[DueNextStep]:
    until = week.start + dt.timedelta(days=DUE_WINDOW_DAYS)
    rows = [
        DueNextStep(d.id, n.id, n.text, n.due, n.confirmed, n.status, n.owner_side, n.call_id, n.utterance)
        for d in deals
        for n in open_next_steps(d, config)
        if n.due is not None and week.start <= n.due < until
    ]
    return sorted(rows, key=lambda r: (r.due, r.deal_id, r.next_step_id))


def _coverage(
    deals: Sequence[DealState],
    week: Period,
    config: RiskConfig,
    scores: Mapping[str, int],
    quotas: Mapping[str, float],
    currency: str | None,
) -> list[PeriodCoverage]:
    currencies = sorted({d.currency for d in deals}) or [currency or "USD"]
    this_quarter = quarter_of(week.start)
    rows = []
    for period in (this_quarter, this_quarter.next()):
        for cur in currencies:
            # A quota is in one currency: the one asked for, or the team's only one.
            quota = quotas.get(period.label) if cur == currency or len(currencies) == 1 else None
            rows.append(
                pipeline_coverage(
                    deals, period=period, quota=quota, config=config, scores=scores, currency=cur
                )
            )
    return rows


def _risks(
    live: Sequence[DealState], given: Mapping[str, AnyRisk] | None, now: dt.datetime, config: RiskConfig
) -> dict[str, AnyRisk]:
    if given is None:
        return {d.id: score_deal(d, now=now, config=config) for d in live}
    missing = [d.id for d in live if d.id not in given]
    if missing:
        raise ValueError(f"no risk given for open deals {', '.join(missing[:5])}")
    return {d.id: given[d.id] for d in live}


def weekly_review(
    deals: Sequence[DealState],
    *,
    team_owner_ids: Collection[str],
    week: str,
    now: dt.datetime,
    config: RiskConfig,
    quotas: Mapping[str, float] | None = None,
    currency: str | None = None,
    risks: Mapping[str, AnyRisk] | None = None,
) -> WeeklyReview:
    """Build the weekly review for the deals owned by a team.

    Args:
        deals: any deals; only those whose owner is in team_owner_ids are reviewed.
        team_owner_ids: owners on the manager's team.
        week: ISO week "YYYY-Www"; next steps due that week or the next are listed.
        now: when risk is scored (timezone-aware).
        config: risk and forecast settings.
        quotas: period label ("2026-Q3") -> quota, for the coverage ratio.
        currency: the quotas' currency when the team's deals mix currencies.
        risks: each open deal's current score (e.g. stored ones still fresh at `now`), by deal id;
            then `deals` need only the stage changes and next steps of the week (no other
            evidence) and nothing is scored. None: score every open deal from its evidence.

    Returns:
        WeeklyReview with at-risk deals, movement, due next steps, coverage and hygiene.
    """
    require_aware(now)
    period = parse_period(week)
    if period.kind != PeriodKind.WEEK:
        raise PeriodError(f"week must be an ISO week like 2026-W14, got {week!r}")
    team = [d for d in deals if d.owner is not None and d.owner in team_owner_ids]
    live = [d for d in team if not d.stage.is_closed]
    risks = _risks(live, risks, now, config)
    scores = {deal_id: r.score for deal_id, r in risks.items()}
    return WeeklyReview(
        week=period.label,
        at_risk=tuple(_at_risk(live, risks)),
        movement=tuple(_movement(team, period)),
        next_steps=tuple(_next_steps(live, period, config)),
        coverage=tuple(_coverage(team, period, config, scores, quotas or {}, currency)),
        hygiene=hygiene_issues(team, now=now),
    )
