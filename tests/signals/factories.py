"""Builders for signals tests: a healthy deal that fires no risk factor at NOW."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from extract.types import ObjectionCategory, OwnerSide, StakeholderRole
from signals.types import (
    CallEvidence,
    DealState,
    NextStepState,
    NextStepStatus,
    ObjectionState,
    ObjectionStatus,
    Stage,
    StakeholderState,
)

NOW = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.UTC)  # a Monday, ISO week 2026-W12
TODAY = NOW.date()


def ago(days: float = 0, seconds: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days, seconds=seconds)


def call(
    call_id: str = "c1", at: dt.datetime | None = None, *, buyer: bool = True, **kw: Any
) -> CallEvidence:
    speakers = ("Sarah Chen",) if buyer else ()
    return CallEvidence(
        call_id, at or ago(2), buyer, buyer_speakers=speakers, rep_speakers=("Dana Ruiz",), **kw
    )


def cfo(**kw: Any) -> StakeholderState:
    base = StakeholderState(
        "p1", "Sarah Chen", "CFO", StakeholderRole.ECONOMIC_BUYER, True, on_calls=1, last_engaged_at=ago(2)
    )
    return replace(base, **kw)


def champion(**kw: Any) -> StakeholderState:
    base = StakeholderState("p2", "Tom Lee", "Ops lead", StakeholderRole.CHAMPION, False, 1, ago(2))
    return replace(base, **kw)


def step(step_id: str = "n1", due: dt.date | None = None, **kw: Any) -> NextStepState:
    base = NextStepState(
        step_id,
        "c1",
        41,
        "Send the proposal",
        due=due if due is not None else TODAY + dt.timedelta(days=3),
        status=NextStepStatus.ACCEPTED,
        confirmed=True,
        owner_side=OwnerSide.REP,
    )
    return replace(base, **kw)


def objection(
    obj_id: str = "o1", category: ObjectionCategory = ObjectionCategory.TIMING, **kw: Any
) -> ObjectionState:
    base = ObjectionState(obj_id, "c1", 17, category, ObjectionStatus.OPEN, ago(2), "Not this quarter.")
    return replace(base, **kw)


def deal(**kw: Any) -> DealState:
    """A discovery deal with fresh buyer activity, two engaged contacts and a dated next step."""
    base = DealState(
        id="d1",
        name="Acme renewal",
        stage=Stage.DISCOVERY,
        created_at=ago(20),
        stage_entered_at=ago(5),
        amount=50_000.0,
        close_date=TODAY + dt.timedelta(days=30),
        owner="rep-1",
        calls=(call(),),
        stakeholders=(cfo(), champion()),
        next_steps=(step(),),
        pain_identified=True,
    )
    return replace(base, **kw)
