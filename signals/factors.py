"""One small function per risk factor code: (deal, now, config) -> RiskFactor | None.

Each returns None when the factor does not fire. Boundaries are strict: a
duration fires only when it is *longer* than its threshold, so exactly 14 days
of silence does not fire and 14 days plus one second does. A next step is
overdue when its due date is before `now`'s UTC date (due today is not overdue).

Details name dates ("since 2026-11-12"), never counts of days: a count would change every
day, so every stored score would go stale daily and be rewritten with nothing new to say.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from extract.types import ObjectionCategory
from signals.config import RiskConfig
from signals.stages import display_name, unmet_criteria_for_current_stage
from signals.types import (
    CloseDateChange,
    DealState,
    Evidence,
    EvidenceKind,
    NextStepState,
    NextStepStatus,
    ObjectionStatus,
    RiskCode,
    RiskFactor,
)

FactorFn = Callable[[DealState, dt.datetime, RiskConfig], RiskFactor | None]
_K = EvidenceKind


def _day(at: dt.datetime) -> str:
    """The UTC date of a moment, as factor details name it."""
    return at.astimezone(dt.UTC).date().isoformat()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _points(weight: int, count: int, boosted: int, multiplier: float) -> int:
    """`weight` per item, with `boosted` of the `count` items weighing `multiplier` times; half rounds up."""
    return math.floor(weight * (count - boosted) + weight * multiplier * boosted + 0.5)


def buyer_times(deal: DealState, now: dt.datetime) -> list[dt.datetime]:
    """When buyers were active up to `now` (as `buyer_activity_times`, without the evidence)."""
    out = [c.at for c in deal.calls if c.buyer_spoke and c.at <= now]
    if deal.last_buyer_activity is not None and deal.last_buyer_activity <= now:
        out.append(deal.last_buyer_activity)
    return out


def buyer_activity_times(deal: DealState, now: dt.datetime) -> list[tuple[dt.datetime, Evidence]]:
    """Every buyer activity up to `now`: calls where a buyer spoke, plus last_buyer_activity."""
    out = [(c.at, Evidence(_K.CALL, call_id=c.call_id, at=c.at)) for c in deal.calls if c.buyer_spoke]
    if deal.last_buyer_activity is not None:
        at = deal.last_buyer_activity
        out.append((at, Evidence(_K.DEAL_FIELD, field="last_buyer_activity", at=at, value=at.isoformat())))
    return [(at, ev) for at, ev in out if at <= now]


def open_next_steps(deal: DealState, config: RiskConfig) -> list[NextStepState]:
    """Open next steps in (due, id) order; suggestions count unless the config says not."""
    steps = [n for n in deal.next_steps if n.is_open]
    if not config.suggested_next_steps_count:
        steps = [n for n in steps if n.status != NextStepStatus.SUGGESTED]
    return sorted(steps, key=lambda n: (n.due or dt.date.max, n.id))


def _step_evidence(n: NextStepState) -> Evidence:
    kind = _K.UTTERANCE if n.call_id is not None else _K.DEAL_FIELD
    due = n.due.isoformat() if n.due else None
    return Evidence(kind, call_id=n.call_id, utterance=n.utterance, field="next_step", value=due or n.text)


def no_buyer_activity(deal: DealState, now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    limit = config.no_buyer_activity_days
    # Most deals are not silent: decide on the times alone, build the evidence only when it fires.
    if now - max(buyer_times(deal, now), default=deal.created_at) <= dt.timedelta(days=limit):
        return None
    activity = buyer_activity_times(deal, now)
    if activity:
        last, evidence = max(activity, key=lambda a: a[0])
        what = "No buyer activity"
    else:
        last = deal.created_at
        evidence = Evidence(_K.DEAL_FIELD, field="created_at", at=last, value=last.isoformat())
        what = "No buyer activity since the deal was created"
    if now - last <= dt.timedelta(days=limit):
        return None
    # Dates, not day counts: a count would change the detail (and the stored score) every day.
    detail = f"{what} since {_day(last)} (limit {_plural(limit, 'day')} of silence)"
    return RiskFactor(
        RiskCode.NO_BUYER_ACTIVITY, config.weight(RiskCode.NO_BUYER_ACTIVITY), detail, (evidence,)
    )


def no_decision_maker(deal: DealState, _now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    if any(s.is_decision_maker for s in deal.stakeholders):
        return None
    names = ", ".join(s.name for s in deal.stakeholders) or "none"
    count = len(deal.stakeholders)
    detail = (
        f"No decision-maker among the deal's {_plural(count, 'contact')}"
        if count
        else "No contacts on the deal"
    )
    ev = Evidence(_K.DEAL_FIELD, field="stakeholders", value=names)
    return RiskFactor(RiskCode.NO_DECISION_MAKER, config.weight(RiskCode.NO_DECISION_MAKER), detail, (ev,))


def decision_maker_absent(deal: DealState, _now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    dms = [s for s in deal.stakeholders if s.is_decision_maker]
    if not dms or any(s.on_calls > 0 for s in dms):
        return None
    labels = [f"{s.name} ({s.title})" if s.title else s.name for s in dms]
    detail = f"Decision-maker {', '.join(labels)} never on a call"
    evidence = tuple(Evidence(_K.DEAL_FIELD, field="stakeholders", value=label) for label in labels)
    return RiskFactor(
        RiskCode.DECISION_MAKER_ABSENT, config.weight(RiskCode.DECISION_MAKER_ABSENT), detail, evidence
    )


def no_next_step(deal: DealState, _now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    steps = open_next_steps(deal, config)
    if any(n.due is not None for n in steps):
        return None
    if steps:
        detail = f"No open next step with a due date ({_plural(len(steps), 'undated next step')})"
        evidence = tuple(_step_evidence(n) for n in steps)
    else:
        detail = "No open next step"
        evidence = (Evidence(_K.DEAL_FIELD, field="next_step"),)
    return RiskFactor(RiskCode.NO_NEXT_STEP, config.weight(RiskCode.NO_NEXT_STEP), detail, evidence)


def next_step_overdue(deal: DealState, now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    dated = [n for n in open_next_steps(deal, config) if n.due is not None]
    if not dated:
        return None
    first = dated[0]
    assert first.due is not None  # narrowed above; keeps mypy happy
    if first.due >= now.astimezone(dt.UTC).date():
        return None
    detail = f"Next step “{first.text}” was due {first.due.isoformat()} and is still open"
    code = RiskCode.NEXT_STEP_OVERDUE
    return RiskFactor(code, config.weight(code), detail, (_step_evidence(first),))


def _had_news(deal: DealState, push: CloseDateChange, config: RiskConfig) -> bool:
    since = push.at - dt.timedelta(days=config.push_news_window_days)
    return any(since <= at <= push.at for at in buyer_times(deal, push.at))


def close_date_pushed(deal: DealState, now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    since = now - dt.timedelta(days=config.push_lookback_days)
    pushes = sorted(
        (c for c in deal.close_date_changes if c.is_push and since <= c.at <= now), key=lambda c: c.at
    )
    pushes = pushes[-config.push_max_counted :]
    if not pushes:
        return None
    weight = config.weight(RiskCode.CLOSE_DATE_PUSHED)
    silent = [p for p in pushes if not _had_news(deal, p, config)]
    raw = _points(weight, len(pushes), len(silent), config.pushed_without_activity_multiplier)
    last = pushes[-1]
    detail = (
        f"Close date pushed {_plural(len(pushes), 'time')} in {config.push_lookback_days} days "
        f"(latest {last.from_date} → {last.to_date}); {len(silent)} without new buyer activity"
    )
    evidence = tuple(
        Evidence(_K.FIELD_CHANGE, field="close_date", at=p.at, value=f"{p.from_date} -> {p.to_date}")
        for p in pushes
    )
    return RiskFactor(RiskCode.CLOSE_DATE_PUSHED, raw, detail, evidence)


def single_threaded(deal: DealState, now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    window = dt.timedelta(days=config.engaged_window_days)
    engaged = [
        s for s in deal.stakeholders if s.last_engaged_at is not None and now - s.last_engaged_at <= window
    ]
    want = config.single_threaded_min_contacts
    if len(engaged) >= want:
        return None
    names = ", ".join(s.name for s in engaged) or "none"
    detail = (
        f"{_plural(len(engaged), 'buyer contact')} engaged in the last {config.engaged_window_days} days "
        f"({names}); want at least {want}"
    )
    ev = Evidence(_K.DEAL_FIELD, field="stakeholders", value=names)
    return RiskFactor(RiskCode.SINGLE_THREADED, config.weight(RiskCode.SINGLE_THREADED), detail, (ev,))


def stalled_in_stage(deal: DealState, now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    expected = config.stage_expected_days.get(deal.stage)
    entered = deal.entered_stage_at
    if expected is None or now - entered <= dt.timedelta(days=expected):
        return None
    detail = f"In {display_name(deal.stage)} since {_day(entered)} (expected {_plural(expected, 'day')})"
    ev = Evidence(_K.FIELD_CHANGE, field="stage", at=entered, value=str(deal.stage))
    return RiskFactor(RiskCode.STALLED_IN_STAGE, config.weight(RiskCode.STALLED_IN_STAGE), detail, (ev,))


def open_objections(deal: DealState, now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    objections = sorted(
        (o for o in deal.objections if o.status == ObjectionStatus.OPEN and o.raised_at <= now),
        key=lambda o: (o.raised_at, o.id),
    )
    if not objections:
        return None
    weight = config.weight(RiskCode.OPEN_OBJECTIONS)
    late = deal.stage in config.pricing_late_stages
    late_pricing = [o for o in objections if late and o.category == ObjectionCategory.PRICING]
    points = min(
        _points(weight, len(objections), len(late_pricing), config.pricing_late_multiplier),
        config.open_objections_max_points,
    )
    categories = ", ".join(sorted({str(o.category) for o in objections}))
    detail = f"{_plural(len(objections), 'open objection')} ({categories})"
    if late_pricing:
        detail += (
            f"; pricing still open in {display_name(deal.stage)} weighs ×{config.pricing_late_multiplier:g}"
        )
    evidence = tuple(
        Evidence(
            _K.UTTERANCE,
            call_id=o.call_id,
            utterance=o.utterance,
            at=o.raised_at,
            value=f"{o.category}: {o.text}",
        )
        for o in objections
    )
    return RiskFactor(RiskCode.OPEN_OBJECTIONS, points, detail, evidence)


def stage_criteria_unmet(deal: DealState, _now: dt.datetime, config: RiskConfig) -> RiskFactor | None:
    unmet = unmet_criteria_for_current_stage(deal, criteria=config.stage_criteria)
    if not unmet:
        return None
    detail = f"In {display_name(deal.stage)} without: " + "; ".join(c.description for c in unmet)
    overrides = [c for c in deal.stage_changes if c.to_stage == deal.stage and c.override_reason]
    if overrides:
        detail += f" (moved by override: {max(overrides, key=lambda c: c.at).override_reason})"
    evidence = tuple(Evidence(_K.DEAL_FIELD, field=f"criteria.{c.code}", value=c.description) for c in unmet)
    code = RiskCode.STAGE_CRITERIA_UNMET
    return RiskFactor(code, config.weight(code), detail, evidence)


FACTORS: dict[RiskCode, FactorFn] = {
    RiskCode.NO_BUYER_ACTIVITY: no_buyer_activity,
    RiskCode.NO_DECISION_MAKER: no_decision_maker,
    RiskCode.DECISION_MAKER_ABSENT: decision_maker_absent,
    RiskCode.NO_NEXT_STEP: no_next_step,
    RiskCode.NEXT_STEP_OVERDUE: next_step_overdue,
    RiskCode.CLOSE_DATE_PUSHED: close_date_pushed,
    RiskCode.SINGLE_THREADED: single_threaded,
    RiskCode.STALLED_IN_STAGE: stalled_in_stage,
    RiskCode.OPEN_OBJECTIONS: open_objections,
    RiskCode.STAGE_CRITERIA_UNMET: stage_criteria_unmet,
}
