"""Rows to `signals.types.DealState`: everything the risk score and stage checks read.

This per-deal builder reads through the ORM and is the reference: the set-based builder in
`models.crud.pages.deal_states` (many deals, one query per table) is tested to produce exactly
the same states (tests/ui/test_queries.py, tests/api/test_bulk_state.py)."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, col, select

from extract.types import Framework
from models.crud.calls import list_deal_calls
from models.crud.next_steps import effective, list_next_steps
from models.crud.results import call_time
from models.enums import CallStatus
from models.tables import (
    Call,
    Contact,
    Deal,
    DealCloseDateHistory,
    DealStageHistory,
    MethodologyEvidence,
    Objection,
    Stakeholder,
    User,
    Utterance,
)
from signals.stages import parse_stage
from signals.types import (
    CallEvidence,
    CloseDateChange,
    DealState,
    NextStepState,
    ObjectionState,
    StageChange,
    StakeholderState,
    UtteranceRef,
)
from signals.types import (
    MethodologyEvidence as MethodologyState,
)
from transcribe.types import Side


def deal_state(session: Session, *, deal: Deal) -> DealState:
    """Build the signals stage's view of a deal from its rows."""
    assert deal.id is not None
    owner = session.get(User, deal.owner_id)
    calls = [c for c in list_deal_calls(session, deal_id=deal.id) if c.status == CallStatus.DONE]
    return DealState(
        id=str(deal.id),
        name=deal.name,
        stage=parse_stage(deal.stage),
        created_at=deal.created_at,
        amount=float(deal.amount) if deal.amount is not None else None,
        currency=deal.currency,
        close_date=deal.close_date,
        forecast_category=deal.forecast_category,
        probability=deal.probability,
        owner=owner.email if owner else None,
        stage_entered_at=deal.stage_entered_at,
        close_date_changes=_close_date_changes(session, deal.id),
        stage_changes=_stage_changes(session, deal.id),
        calls=tuple(_call_evidence(session, c) for c in calls),
        stakeholders=_stakeholders(session, deal.id),
        next_steps=_next_steps(session, deal.id),
        objections=_objections(session, deal.id),
        methodology=_methodology(session, deal.id),
        last_buyer_activity=deal.last_buyer_activity,
    )


def _close_date_changes(session: Session, deal_id: int) -> tuple[CloseDateChange, ...]:
    rows = session.exec(
        select(DealCloseDateHistory)
        .where(DealCloseDateHistory.deal_id == deal_id)
        .order_by(col(DealCloseDateHistory.at), col(DealCloseDateHistory.id))
    ).all()
    return tuple(CloseDateChange(at=r.at, from_date=r.from_date, to_date=r.to_date) for r in rows)


def _stage_changes(session: Session, deal_id: int) -> tuple[StageChange, ...]:
    rows = session.exec(
        select(DealStageHistory, User)
        .outerjoin(User, col(User.id) == DealStageHistory.by_user_id)
        .where(DealStageHistory.deal_id == deal_id)
        .order_by(col(DealStageHistory.at), col(DealStageHistory.id))
    ).all()
    return tuple(
        StageChange(
            at=h.at,
            from_stage=parse_stage(h.from_stage) if h.from_stage else None,
            to_stage=parse_stage(h.to_stage),
            by=u.email if u else None,
            override_reason=h.override_reason,
        )
        for h, u in rows
    )


def _call_evidence(session: Session, call: Call) -> CallEvidence:
    speakers = session.exec(
        select(Utterance.speaker, Utterance.side).where(Utterance.call_id == call.id).distinct()
    ).all()
    buyers = tuple(sorted({name for name, side in speakers if side == Side.BUYER}))
    reps = tuple(sorted({name for name, side in speakers if side == Side.REP}))
    return CallEvidence(
        call_id=str(call.id),
        at=call_time(call),
        buyer_spoke=bool(buyers),
        buyer_speakers=buyers,
        rep_speakers=reps,
        duration_s=call.duration_s,
        reflected_at=call.processed_at,
    )


def _stakeholders(session: Session, deal_id: int) -> tuple[StakeholderState, ...]:
    rows = session.exec(
        select(Stakeholder, Contact)
        .join(Contact, col(Contact.id) == Stakeholder.contact_id)
        .where(Stakeholder.deal_id == deal_id)
        .order_by(col(Contact.name))
    ).all()
    return tuple(
        StakeholderState(
            contact_id=str(s.contact_id),
            name=c.name,
            title=c.title,
            role=s.role,
            decision_maker=s.decision_maker,
            on_calls=s.on_calls,
            last_engaged_at=s.last_seen_at,
        )
        for s, c in rows
    )


def _next_steps(session: Session, deal_id: int) -> tuple[NextStepState, ...]:
    result = []
    for step in list_next_steps(session, deal_id=deal_id):
        values = effective(step)
        result.append(
            NextStepState(
                id=str(step.id),
                text=values["text"],
                call_id=str(step.call_id) if step.call_id is not None else None,
                utterance=step.utterance_index,
                due=values["due"],
                status=step.status,
                confirmed=step.confirmed,
                owner_side=values["owner_side"],
            )
        )
    return tuple(result)


def _objections(session: Session, deal_id: int) -> tuple[ObjectionState, ...]:
    rows = session.exec(
        select(Objection).where(Objection.deal_id == deal_id).order_by(col(Objection.id))
    ).all()
    result = []
    for o in rows:
        call = session.get(Call, o.call_id)
        assert call is not None
        result.append(
            ObjectionState(
                id=str(o.id),
                call_id=str(o.call_id),
                utterance=o.utterance_index,
                category=o.category,
                status=o.status,
                raised_at=call_time(call),
                text=o.text,
            )
        )
    return tuple(result)


def _methodology(session: Session, deal_id: int) -> MethodologyState | None:
    rows = session.exec(select(MethodologyEvidence).where(MethodologyEvidence.deal_id == deal_id)).all()
    known = [r for r in rows if r.framework in Framework.__members__.values()]
    if not known:
        return None
    # A deal is judged against one framework: the one most of its evidence uses.
    framework = Framework(Counter(r.framework for r in known).most_common(1)[0][0])
    elements: dict[str, tuple[UtteranceRef, ...]] = {}
    for r in known:
        if r.framework == framework:
            ref = UtteranceRef(call_id=str(r.call_id), utterance=r.utterance_index)
            elements[r.element] = (*elements.get(r.element, ()), ref)
    return MethodologyState(framework=framework, elements=elements)
