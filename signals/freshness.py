"""When a deal's risk can next change with time alone (no new evidence).

Risk moves with the clock: buyer silence crosses its limit, a next step falls due, a deal
stalls in its stage, a push leaves the look-back window. Factor details name dates rather
than count days, so once a factor fires, time alone leaves it as it is.
`risk_fresh_until(deal, now, config)` returns the earliest moment after `now` at which
`score_deal` may answer differently; until then a stored score is exact, so periodic
re-scoring and reviews only need to score deals whose moment has come.

The answer is never later than the true next change (it may be earlier, which only costs a
re-score that finds nothing new). None means time alone never changes the score.
"""

from __future__ import annotations

import datetime as dt

from signals.config import RiskConfig
from signals.factors import buyer_times, open_next_steps
from signals.risk import applicable_codes, require_aware
from signals.types import DealState, ObjectionStatus, RiskCode

__all__ = ["risk_fresh_until"]

_TICK = dt.timedelta(microseconds=1)  # "longer than N days" starts one tick after N days
_DAY = dt.timedelta(days=1)


def _after_threshold(start: dt.datetime, limit: dt.timedelta) -> dt.datetime:
    """When a factor that fires once `now - start > limit` starts firing (past moments are dropped)."""
    return start + limit + _TICK


def _buyer_silence(deal: DealState, now: dt.datetime, config: RiskConfig) -> list[dt.datetime]:
    last = max(buyer_times(deal, now), default=deal.created_at)
    moments = [_after_threshold(last, dt.timedelta(days=config.no_buyer_activity_days))]
    future = [c.at for c in deal.calls if c.buyer_spoke and c.at > now]
    if deal.last_buyer_activity is not None and deal.last_buyer_activity > now:
        future.append(deal.last_buyer_activity)
    return moments + future  # activity dated later than now counts once now reaches it


def _overdue(deal: DealState, config: RiskConfig) -> list[dt.datetime]:
    dated = [n for n in open_next_steps(deal, config) if n.due is not None]
    if not dated or dated[0].due is None:
        return []
    # Overdue from midnight UTC after the due date (a past moment is dropped: it already is).
    return [dt.datetime.combine(dated[0].due + _DAY, dt.time(), dt.UTC)]


def _pushes(deal: DealState, config: RiskConfig) -> list[dt.datetime]:
    lookback = dt.timedelta(days=config.push_lookback_days)
    # A push counts from its moment until it is more than the look-back window old.
    return [m for c in deal.close_date_changes if c.is_push for m in (c.at, c.at + lookback + _TICK)]


def _engagement(deal: DealState, config: RiskConfig) -> list[dt.datetime]:
    window = dt.timedelta(days=config.engaged_window_days)
    return [s.last_engaged_at + window + _TICK for s in deal.stakeholders if s.last_engaged_at is not None]


def _stall(deal: DealState, config: RiskConfig) -> list[dt.datetime]:
    expected = config.stage_expected_days.get(deal.stage)
    if expected is None:
        return []
    return [_after_threshold(deal.entered_stage_at, dt.timedelta(days=expected))]


def _objections(deal: DealState) -> list[dt.datetime]:
    return [o.raised_at for o in deal.objections if o.status == ObjectionStatus.OPEN]


def risk_fresh_until(deal: DealState, *, now: dt.datetime, config: RiskConfig) -> dt.datetime | None:
    """Return the earliest moment after `now` when the deal's score may change with time alone.

    Args:
        deal: the deal and its evidence.
        now: the moment it was scored at (timezone-aware).
        config: the weights and thresholds it was scored with.

    Returns:
        A moment later than `now`, or None when time alone never changes the score.
    """
    require_aware(now)
    if deal.stage.is_closed:
        return None
    applies = applicable_codes(deal.stage, config)
    moments: list[dt.datetime] = []
    if RiskCode.NO_BUYER_ACTIVITY in applies:
        moments += _buyer_silence(deal, now, config)
    if RiskCode.NEXT_STEP_OVERDUE in applies:
        moments += _overdue(deal, config)
    if RiskCode.CLOSE_DATE_PUSHED in applies:
        moments += _pushes(deal, config)
    if RiskCode.SINGLE_THREADED in applies:
        moments += _engagement(deal, config)
    if RiskCode.STALLED_IN_STAGE in applies:
        moments += _stall(deal, config)
    if RiskCode.OPEN_OBJECTIONS in applies:
        moments += _objections(deal)
    return min((m for m in moments if m > now), default=None)
