"""Rows to `signals.types.DealState` for many deals at once: one query per table per chunk.

The weekly review, the forecast and nightly re-scoring read thousands of deals; building each
state with its own queries would cost a dozen round trips per deal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from extract.types import Framework
from models.crud.next_steps import effective
from models.crud.results import call_moment
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


def _columns(*attributes: Any) -> list[Any]:
    """Model attributes as plain columns, so one select can fetch any number of them as tuples."""
    return [col(a) for a in attributes]


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
    h = DealCloseDateHistory
    rows = session.execute(
        sa.select(*_columns(h.deal_id, h.at, h.from_date, h.to_date))
        .where(col(h.deal_id).in_(ids))
        .order_by(col(h.at), col(h.id))
    ).all()
    out: dict[int, list[CloseDateChange]] = defaultdict(list)
    for deal_id, at, from_date, to_date in rows:
        out[deal_id].append(CloseDateChange(at=at, from_date=from_date, to_date=to_date))
    return out


def _stage_changes(session: Session, ids: list[int]) -> dict[int, list[StageChange]]:
    h = DealStageHistory
    rows = session.execute(
        sa.select(*_columns(h.deal_id, h.at, h.from_stage, h.to_stage, User.email, h.override_reason))
        .outerjoin(User, col(User.id) == h.by_user_id)
        .where(col(h.deal_id).in_(ids))
        .order_by(col(h.at), col(h.id))
    ).all()
    out: dict[int, list[StageChange]] = defaultdict(list)
    for deal_id, at, from_stage, to_stage, email, reason in rows:
        out[deal_id].append(
            StageChange(
                at=at,
                from_stage=parse_stage(from_stage) if from_stage else None,
                to_stage=parse_stage(to_stage),
                by=email,
                override_reason=reason,
            )
        )
    return out


def _calls(session: Session, ids: list[int]) -> dict[int, list[CallEvidence]]:
    c = Call
    calls = session.execute(
        sa.select(
            *_columns(c.id, c.deal_id, c.started_at, c.date, c.created_at, c.duration_s, c.processed_at)
        )
        .where(col(c.deal_id).in_(ids), col(c.status) == CallStatus.DONE)
        .order_by(col(c.created_at), col(c.id))
    ).all()
    speakers = session.execute(
        sa.select(*_columns(Utterance.call_id, Utterance.speaker, Utterance.side))
        .where(col(Utterance.call_id).in_([row[0] for row in calls]))
        .distinct()
    ).all()
    by_call = _grouped(speakers, lambda row: row[0])
    out: dict[int, list[CallEvidence]] = defaultdict(list)
    for call_id, deal_id, started, day, created, duration, processed in calls:
        people = by_call.get(call_id, [])
        buyers = tuple(sorted({name for _, name, side in people if side == Side.BUYER}))
        out[deal_id].append(
            CallEvidence(
                call_id=str(call_id),
                at=call_moment(started, day, created),
                buyer_spoke=bool(buyers),
                buyer_speakers=buyers,
                rep_speakers=tuple(sorted({name for _, name, side in people if side == Side.REP})),
                duration_s=duration,
                reflected_at=processed,
            )
        )
    return out


def _stakeholders(session: Session, ids: list[int]) -> dict[int, list[StakeholderState]]:
    s, c = Stakeholder, Contact
    rows = session.execute(
        sa.select(
            *_columns(
                s.deal_id, s.contact_id, c.name, c.title, s.role, s.decision_maker, s.on_calls, s.last_seen_at
            )
        )
        .join(c, col(c.id) == s.contact_id)
        .where(col(s.deal_id).in_(ids))
        .order_by(col(c.name))
    ).all()
    out: dict[int, list[StakeholderState]] = defaultdict(list)
    for deal_id, contact_id, name, title, role, decides, on_calls, seen in rows:
        out[deal_id].append(
            StakeholderState(
                contact_id=str(contact_id),
                name=name,
                title=title,
                role=role,
                decision_maker=decides,
                on_calls=on_calls,
                last_engaged_at=seen,
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
    o = Objection
    rows = session.execute(
        sa.select(
            *_columns(
                o.deal_id,
                o.id,
                o.call_id,
                o.utterance_index,
                o.category,
                o.status,
                o.text,
                Call.started_at,
                Call.date,
                Call.created_at,
            )
        )
        .join(Call, col(Call.id) == o.call_id)
        .where(col(o.deal_id).in_(ids))
        .order_by(col(o.id))
    ).all()
    out: dict[int, list[ObjectionState]] = defaultdict(list)
    for deal_id, oid, call_id, utterance, category, status, text, started, day, created in rows:
        out[deal_id].append(
            ObjectionState(
                id=str(oid),
                call_id=str(call_id),
                utterance=utterance,
                category=category,
                status=status,
                raised_at=call_moment(started, day, created),
                text=text,
            )
        )
    return out


def _methodology(session: Session, ids: list[int]) -> dict[int, MethodologyState]:
    m = MethodologyEvidence
    rows = session.execute(
        sa.select(*_columns(m.deal_id, m.framework, m.element, m.call_id, m.utterance_index)).where(
            col(m.deal_id).in_(ids)
        )
    ).all()
    known = [r for r in rows if r[1] in Framework.__members__.values()]
    out: dict[int, MethodologyState] = {}
    for deal_id, items in _grouped(known, lambda r: r[0]).items():
        # A deal is judged against one framework: the one most of its evidence uses.
        framework = Framework(Counter(r[1] for r in items).most_common(1)[0][0])
        elements: dict[str, tuple[UtteranceRef, ...]] = {}
        for _, used, element, call_id, utterance in items:
            if used == framework:
                ref = UtteranceRef(call_id=str(call_id), utterance=utterance)
                elements[element] = (*elements.get(element, ()), ref)
        out[deal_id] = MethodologyState(framework=framework, elements=elements)
    return out
