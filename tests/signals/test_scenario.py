"""A deal's history of calls and CRM updates played in order, scored after each step."""

import datetime as dt
from dataclasses import replace

from extract.types import ObjectionCategory, OwnerSide, StakeholderRole
from signals.config import RiskConfig
from signals.risk import score_deal
from signals.stages import check_stage_move
from signals.types import (
    CallEvidence,
    CloseDateChange,
    DealState,
    NextStepState,
    NextStepStatus,
    ObjectionState,
    ObjectionStatus,
    RiskCode,
    RiskLevel,
    Stage,
    StageChange,
    StakeholderState,
)

CFG = RiskConfig()
R = RiskCode


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def move(d: DealState, when: dt.datetime, to: Stage) -> DealState:
    assert check_stage_move(d, to, criteria=CFG.stage_criteria).allowed, to
    change = StageChange(when, d.stage, to, by="rep-1")
    return replace(d, stage=to, stage_entered_at=when, stage_changes=(*d.stage_changes, change))


def tom(engaged: dt.datetime, calls: int) -> StakeholderState:
    return StakeholderState("p1", "Tom Lee", "Ops lead", StakeholderRole.CHAMPION, False, calls, engaged)


def sarah(engaged: dt.datetime, calls: int) -> StakeholderState:
    return StakeholderState("p2", "Sarah Chen", "CFO", StakeholderRole.ECONOMIC_BUYER, True, calls, engaged)


def nstep(step_id: str, text: str, due: dt.date, call_id: str) -> NextStepState:
    return NextStepState(step_id, call_id, 40, text, due, NextStepStatus.ACCEPTED, True, OwnerSide.REP)


def check(d: DealState, now: dt.datetime, score: int, codes: list[RiskCode]) -> None:
    r = score_deal(d, now=now, config=CFG)
    assert [f.code for f in r.factors] == codes, [f.detail for f in r.factors]
    assert r.score == score == sum(f.points for f in r.factors)


def test_deal_history_scored_step_by_step():
    d = DealState(
        id="acme", stage=Stage.AWARENESS, created_at=at(1, 5), close_date=dt.date(2026, 3, 31), owner="rep-1"
    )
    check(d, at(1, 5), 15, [R.NO_NEXT_STEP])

    # Jan 7: first call; the champion speaks about the pain; a dated, confirmed next step.
    c1 = CallEvidence("c1", at(1, 7), True, ("Tom Lee",), ("Dana Ruiz",))
    d = replace(
        d,
        calls=(c1,),
        pain_identified=True,
        stakeholders=(tom(at(1, 7), 1),),
        next_steps=(nstep("n1", "Send case study", dt.date(2026, 1, 14), "c1"),),
    )
    d = move(d, at(1, 7, 11), Stage.QUALIFIED)
    check(d, at(1, 7, 12), 15, [R.NO_DECISION_MAKER])

    d = move(d, at(1, 12), Stage.DISCOVERY)
    check(d, at(1, 12), 25, [R.NO_DECISION_MAKER, R.SINGLE_THREADED])

    # Jan 20: the CFO joins; she raises pricing; case study sent; proposal promised.
    c2 = CallEvidence("c2", at(1, 20), True, ("Tom Lee", "Sarah Chen"), ("Dana Ruiz",))
    pricing = ObjectionState("o1", "c2", 17, ObjectionCategory.PRICING, ObjectionStatus.OPEN, at(1, 20))
    d = replace(
        d,
        calls=(c1, c2),
        amount=80_000.0,
        stakeholders=(tom(at(1, 20), 2), sarah(at(1, 20), 1)),
        objections=(pricing,),
        next_steps=(
            replace(d.next_steps[0], status=NextStepStatus.DONE),
            nstep("n2", "Send proposal", dt.date(2026, 1, 23), "c2"),
        ),
    )
    check(d, at(1, 20, 12), 5, [R.OPEN_OBJECTIONS])

    # Jan 22: proposal stage; the open pricing objection now weighs double.
    d = move(d, at(1, 22), Stage.PROPOSAL)
    check(d, at(1, 22), 10, [R.OPEN_OBJECTIONS])

    # Feb 16: silence since Jan 20; the proposal step is overdue; stalled in Proposal.
    check(d, at(2, 16), 55, [R.NO_BUYER_ACTIVITY, R.NEXT_STEP_OVERDUE, R.STALLED_IN_STAGE, R.OPEN_OBJECTIONS])
    assert score_deal(d, now=at(2, 16), config=CFG).level == RiskLevel.MEDIUM

    # Feb 17: the rep pushes the close date a month without any buyer news.
    push = CloseDateChange(at(2, 17), dt.date(2026, 3, 31), dt.date(2026, 4, 30))
    d = replace(d, close_date=push.to_date, close_date_changes=(push,))
    expected = [
        R.NO_BUYER_ACTIVITY,
        R.CLOSE_DATE_PUSHED,
        R.NEXT_STEP_OVERDUE,
        R.STALLED_IN_STAGE,
        R.OPEN_OBJECTIONS,
    ]
    check(d, at(2, 17, 12), 70, expected)
    assert score_deal(d, now=at(2, 17, 12), config=CFG).level == RiskLevel.HIGH

    # Feb 24: the buyer is back; pricing settled; a security review is booked.
    c3 = CallEvidence("c3", at(2, 24), True, ("Sarah Chen", "Tom Lee"), ("Dana Ruiz",))
    d = replace(
        d,
        calls=(c1, c2, c3),
        stakeholders=(tom(at(2, 24), 3), sarah(at(2, 24), 2)),
        objections=(replace(pricing, status=ObjectionStatus.ADDRESSED),),
        next_steps=(
            *(replace(n, status=NextStepStatus.DONE) for n in d.next_steps),
            nstep("n3", "Security review", dt.date(2026, 3, 3), "c3"),
        ),
    )
    check(d, at(2, 24, 12), 25, [R.CLOSE_DATE_PUSHED, R.STALLED_IN_STAGE])

    # Feb 25: every commit criterion holds; the push still counts for 90 days.
    d = move(d, at(2, 25), Stage.COMMIT)
    check(d, at(2, 25, 12), 15, [R.CLOSE_DATE_PUSHED])

    d = move(d, at(3, 20), Stage.CLOSED_WON)
    check(d, at(3, 20, 12), 0, [])
