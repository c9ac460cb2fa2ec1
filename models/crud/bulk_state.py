"""Rows to `signals.types.DealState` for many deals at once: one query per table per chunk.

The weekly review, the forecast and nightly re-scoring read thousands of deals; building each
state with its own queries would cost a dozen round trips per deal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import Session, col, select

from extract.types import Framework
from models.crud.next_steps import effective
from models.crud.results import call_time
from models.enums import CallStatus
from models.tables import (
    Call,
    Contact,
    Deal,
    DealCloseDateHistory,
    DealStageHistory,
    MethodologyEvidence,
    NextStep,
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
from signals.types import MethodologyEvidence as MethodologyState
from transcribe.types import Side

CHUNK = 500  # deals per round of queries: well under every database's bound-parameter limit


def deal_states(session: Session, *, deals: Sequence[Deal]) -> list[DealState]:
    """Build the signals view of each deal, in the order given."""
    states: list[DealState] = []
    for start in range(0, len(deals), CHUNK):
        states.extend(_chunk_states(session, deals[start : start + CHUNK]))
    return states


def iter_deal_states(session: Session, *, batch: int = CHUNK) -> Iterator[tuple[Deal, DealState]]:
    """Yield every deal with its state, a chunk at a time (for re-scoring the whole pipeline)."""
    last_id = 0
    while True:
        deals = session.exec(
            select(Deal).where(col(Deal.id) > last_id).order_by(col(Deal.id)).limit(batch)
        ).all()
        if not deals:
            return
        yield from zip(deals, _chunk_states(session, deals), strict=True)
        last_id = deals[-1].id or last_id


def _grouped(rows: Sequence[Any], key: Any) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _chunk_states(session: Session, deals: Sequence[Deal]) -> list[DealState]:
    ids = [d.id for d in deals if d.id is not None]
    owners = dict(
        session.exec(select(User.id, User.email).where(col(User.id).in_({d.owner_id for d in deals}))).all()
    )
    calls = _calls(session, ids)
    parts = {
        "close": _close_date_changes(session, ids),
        "stage": _stage_changes(session, ids),
        "people": _stakeholders(session, ids),
        "steps": _next_steps(session, ids),
        "objections": _objections(session, ids),
        "method": _methodology(session, ids),
    }
    return [_state(deal, owners.get(deal.owner_id), calls, parts) for deal in deals]


def _state(
    deal: Deal, owner: str | None, calls: dict[int, list[CallEvidence]], parts: dict[str, Any]
) -> DealState:
    assert deal.id is not None
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
        owner=owner,
        stage_entered_at=deal.stage_entered_at,
        close_date_changes=tuple(parts["close"].get(deal.id, ())),
        stage_changes=tuple(parts["stage"].get(deal.id, ())),
        calls=tuple(calls.get(deal.id, ())),
        stakeholders=tuple(parts["people"].get(deal.id, ())),
        next_steps=tuple(parts["steps"].get(deal.id, ())),
        objections=tuple(parts["objections"].get(deal.id, ())),
        methodology=parts["method"].get(deal.id),
        last_buyer_activity=deal.last_buyer_activity,
    )


def _close_date_changes(session: Session, ids: list[int]) -> dict[int, list[CloseDateChange]]:
    rows = session.exec(
        select(DealCloseDateHistory)
        .where(col(DealCloseDateHistory.deal_id).in_(ids))
        .order_by(col(DealCloseDateHistory.at), col(DealCloseDateHistory.id))
    ).all()
    out: dict[int, list[CloseDateChange]] = defaultdict(list)
    for r in rows:
        out[r.deal_id].append(CloseDateChange(at=r.at, from_date=r.from_date, to_date=r.to_date))
    return out


def _stage_changes(session: Session, ids: list[int]) -> dict[int, list[StageChange]]:
    rows = session.exec(
        select(DealStageHistory, User.email)
        .outerjoin(User, col(User.id) == DealStageHistory.by_user_id)
        .where(col(DealStageHistory.deal_id).in_(ids))
        .order_by(col(DealStageHistory.at), col(DealStageHistory.id))
    ).all()
    out: dict[int, list[StageChange]] = defaultdict(list)
    for h, email in rows:
        out[h.deal_id].append(
            StageChange(
                at=h.at,
                from_stage=parse_stage(h.from_stage) if h.from_stage else None,
                to_stage=parse_stage(h.to_stage),
                by=email,
                override_reason=h.override_reason,
            )
        )
    return out


def _calls(session: Session, ids: list[int]) -> dict[int, list[CallEvidence]]:
    calls = session.exec(
        select(Call)
        .where(col(Call.deal_id).in_(ids), Call.status == CallStatus.DONE)
        .order_by(col(Call.created_at), col(Call.id))
    ).all()
    speakers = session.exec(
        select(Utterance.call_id, Utterance.speaker, Utterance.side)
        .where(col(Utterance.call_id).in_([c.id for c in calls]))
        .distinct()
    ).all()
    by_call = _grouped(speakers, lambda row: row[0])
    out: dict[int, list[CallEvidence]] = defaultdict(list)
    for call in calls:
        assert call.id is not None and call.deal_id is not None
        people = by_call.get(call.id, [])
        buyers = tuple(sorted({name for _, name, side in people if side == Side.BUYER}))
        out[call.deal_id].append(
            CallEvidence(
                call_id=str(call.id),
                at=call_time(call),
                buyer_spoke=bool(buyers),
                buyer_speakers=buyers,
                rep_speakers=tuple(sorted({name for _, name, side in people if side == Side.REP})),
                duration_s=call.duration_s,
                reflected_at=call.processed_at,
            )
        )
    return out


def _stakeholders(session: Session, ids: list[int]) -> dict[int, list[StakeholderState]]:
    rows = session.exec(
        select(Stakeholder, Contact)
        .join(Contact, col(Contact.id) == Stakeholder.contact_id)
        .where(col(Stakeholder.deal_id).in_(ids))
        .order_by(col(Contact.name))
    ).all()
    out: dict[int, list[StakeholderState]] = defaultdict(list)
    for s, c in rows:
        out[s.deal_id].append(
            StakeholderState(
                contact_id=str(s.contact_id),
                name=c.name,
                title=c.title,
                role=s.role,
                decision_maker=s.decision_maker,
                on_calls=s.on_calls,
                last_engaged_at=s.last_seen_at,
            )
        )
    return out


def _next_steps(session: Session, ids: list[int]) -> dict[int, list[NextStepState]]:
    rows = session.exec(
        select(NextStep)
        .where(col(NextStep.deal_id).in_(ids))
        .order_by(col(NextStep.call_id), col(NextStep.utterance_index), col(NextStep.id))
    ).all()
    out: dict[int, list[NextStepState]] = defaultdict(list)
    for step in rows:
        assert step.deal_id is not None
        values = effective(step)
        out[step.deal_id].append(
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
    return out


def _objections(session: Session, ids: list[int]) -> dict[int, list[ObjectionState]]:
    rows = session.exec(
        select(Objection, Call)
        .join(Call, col(Call.id) == Objection.call_id)
        .where(col(Objection.deal_id).in_(ids))
        .order_by(col(Objection.id))
    ).all()
    out: dict[int, list[ObjectionState]] = defaultdict(list)
    for o, call in rows:
        assert o.deal_id is not None
        out[o.deal_id].append(
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
    return out


def _methodology(session: Session, ids: list[int]) -> dict[int, MethodologyState]:
    rows = session.exec(select(MethodologyEvidence).where(col(MethodologyEvidence.deal_id).in_(ids))).all()
    known = [r for r in rows if r.framework in Framework.__members__.values()]
    out: dict[int, MethodologyState] = {}
    for deal_id, items in _grouped(known, lambda r: r.deal_id).items():
        # A deal is judged against one framework: the one most of its evidence uses.
        framework = Framework(Counter(r.framework for r in items).most_common(1)[0][0])
        elements: dict[str, tuple[UtteranceRef, ...]] = {}
        for r in items:
            if r.framework == framework:
                ref = UtteranceRef(call_id=str(r.call_id), utterance=r.utterance_index)
                elements[r.element] = (*elements.get(r.element, ()), ref)
        out[deal_id] = MethodologyState(framework=framework, elements=elements)
    return out
