"""Read queries for the web pages: a handful of set-based selects per page, never one per deal.

`deal_states` (the batched builder, `models.crud.state_queries`) is re-exported here for pages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from models.crud.state_queries import Owners, deal_scope, deal_states, plain_rows
from models.crud.state_queries import table as state_table
from models.enums import CallStatus, NextStepStatus, ObjectionStatus
from models.tables import (
    Call,
    ChangeEvent,
    Contact,
    Deal,
    DealCloseDateHistory,
    NextStep,
    Objection,
    Stakeholder,
    User,
    Utterance,
)

__all__ = [
    "DealVersion",
    "QueueItem",
    "close_date_history",
    "data_version",
    "call_utterances",
    "deal_states",
    "deal_versions",
    "deal_summaries",
    "review_queue",
    "talk_speakers",
]

# The transcript and insights JSON are large: lists of calls never load them.
_LIGHT_CALL = tuple(
    defer(getattr(Call, name)) for name in ("transcript", "insights", "options", "model_versions")
)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A suggested next step with where it came from."""

    step: NextStep
    deal_id: int
    deal_name: str
    owner_id: int
    call_id: int | None
    call_title: str | None
    call_date: dt.date | None
    start: float | None


def review_queue(session: Session, *, owner_ids: Owners, since: dt.date, limit: int = 100) -> list[QueueItem]:
    """List suggested next steps from recent calls of the owners' deals, newest call first."""
    rows = session.exec(
        select(NextStep, Deal, Call, Utterance)
        .join(Deal, col(Deal.id) == NextStep.deal_id)
        .outerjoin(Call, col(Call.id) == NextStep.call_id)
        .outerjoin(
            Utterance,
            sa.and_(
                col(Utterance.call_id) == NextStep.call_id, col(Utterance.index) == NextStep.utterance_index
            ),
        )
        .options(*_LIGHT_CALL)
        .where(
            col(NextStep.status) == NextStepStatus.SUGGESTED,
            col(NextStep.deal_id).in_(deal_scope(owner_ids)),
        )
        .where(sa.or_(col(Call.date).is_(None), col(Call.date) >= since))
        .order_by(col(Call.date).desc(), col(NextStep.call_id).desc(), col(NextStep.utterance_index))
        .limit(limit)
    ).all()
    return [
        QueueItem(
            step,
            deal.id or 0,
            deal.name,
            deal.owner_id,
            step.call_id,
            call.title if call else None,
            call.date if call else None,
            utterance.start if utterance else None,
        )
        for step, deal, call, utterance in rows
    ]


def deal_summaries(
    session: Session, *, deal_ids: Collection[int]
) -> tuple[dict[int, list[Objection]], dict[int, list[tuple[Stakeholder, Contact]]]]:
    """Return the open objections and the stakeholders of each deal, in two queries."""
    objections: dict[int, list[Objection]] = defaultdict(list)
    stakeholders: dict[int, list[tuple[Stakeholder, Contact]]] = defaultdict(list)
    if not deal_ids:
        return objections, stakeholders
    for o in session.exec(
        select(Objection)
        .where(col(Objection.deal_id).in_(list(deal_ids)), col(Objection.status) == ObjectionStatus.OPEN)
        .order_by(col(Objection.call_id), col(Objection.utterance_index))
    ).all():
        objections[o.deal_id or 0].append(o)
    for s, c in session.exec(
        select(Stakeholder, Contact)
        .join(Contact, col(Contact.id) == Stakeholder.contact_id)
        .where(col(Stakeholder.deal_id).in_(list(deal_ids)))
        .order_by(col(Stakeholder.decision_maker).desc(), col(Contact.name))
    ).all():
        stakeholders[s.deal_id].append((s, c))
    return objections, stakeholders


def close_date_history(session: Session, *, deal_id: int) -> list[DealCloseDateHistory]:
    """List a deal's close-date changes, oldest first."""
    return list(
        session.exec(
            select(DealCloseDateHistory)
            .where(DealCloseDateHistory.deal_id == deal_id)
            .order_by(col(DealCloseDateHistory.at), col(DealCloseDateHistory.id))
        ).all()
    )


def call_utterances(session: Session, *, call_id: int) -> list[Utterance]:
    """List a call's utterances in order."""
    return list(
        session.exec(
            select(Utterance).where(Utterance.call_id == call_id).order_by(col(Utterance.index))
        ).all()
    )


def talk_speakers(
    session: Session, *, owner_ids: Owners, since: dt.date, limit: int = 500
) -> list[tuple[int, Any]]:
    """Return (owner id, insights speakers JSON) for the owners' recent processed calls."""
    speakers = col(Call.insights)["speakers"]
    rows = session.exec(
        select(Deal.owner_id, speakers)
        .join(Deal, col(Deal.id) == Call.deal_id)
        .where(
            col(Deal.id).in_(deal_scope(owner_ids)), Call.status == CallStatus.DONE, col(Call.date) >= since
        )
        .order_by(col(Call.date).desc())
        .limit(limit)
    ).all()
    return [(owner_id, value) for owner_id, value in rows]


@dataclass(frozen=True, slots=True)
class DealVersion:
    """What says whether a page's per-deal read still holds: every crud write to a deal bumps
    its version; the owner's email and the stored risk's freshness move without one."""

    id: int
    version: int
    owner_email: str
    risk_fresh_until: dt.datetime | None


def deal_versions(session: Session, *, owner_ids: Owners) -> list[DealVersion]:
    """Return the owners' deals' versions (all deals when None), by id."""
    d, u = (state_table(m).c for m in (Deal, User))
    rows = plain_rows(
        session,
        sa.select(d.id, d.version, u.email, d.risk_fresh_until)
        .join(state_table(User), u.id == d.owner_id)
        .where(d.id.in_(deal_scope(owner_ids)))
        .order_by(d.id),
    )
    return [DealVersion(*row) for row in rows]


def data_version(session: Session) -> int:
    """Return the change feed's latest cursor: it moves whenever a deal, next step or risk changes."""
    latest = session.exec(select(sa.func.max(ChangeEvent.id))).one()
    return int(latest or 0)
