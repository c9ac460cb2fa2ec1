"""Read queries for the web pages: a handful of set-based selects per page, never one per deal.

`deal_states` builds the same `DealState`s as `crud.deal_state`, for many deals at once (one
query per evidence table, scoped by a subquery), so team and forecast pages stay fast.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from extract.types import Framework
from models.crud.next_steps import effective
from models.crud.results import call_time
from models.enums import CallStatus, NextStepStatus, ObjectionStatus
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

__all__ = [
    "QueueItem",
    "close_date_history",
    "call_utterances",
    "deal_states",
    "deal_summaries",
    "methodology_by_deal",
    "review_queue",
    "risk_scores",
    "talk_speakers",
]

Owners = Collection[int] | None  # None: every owner
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


def _deal_scope(owner_ids: Owners) -> Any:
    scope = select(Deal.id)
    if owner_ids is not None:
        scope = scope.where(col(Deal.owner_id).in_(list(owner_ids)))
    return scope


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
            col(NextStep.deal_id).in_(_deal_scope(owner_ids)),
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


def methodology_by_deal(
    session: Session, *, owner_ids: Owners
) -> dict[int, tuple[int, MethodologyState | None]]:
    """Return owner id and merged methodology evidence for every deal with a processed call."""
    scope = _deal_scope(owner_ids)
    result: dict[int, tuple[int, MethodologyState | None]] = {}
    for deal_id, owner_id in session.exec(
        select(Deal.id, Deal.owner_id)
        .where(col(Deal.id).in_(scope))
        .where(col(Deal.id).in_(select(Call.deal_id).where(Call.status == CallStatus.DONE)))
    ).all():
        result[deal_id or 0] = (owner_id, None)
    for deal_id, framework, element in session.exec(
        select(MethodologyEvidence.deal_id, MethodologyEvidence.framework, MethodologyEvidence.element)
        .where(col(MethodologyEvidence.deal_id).in_(scope))
        .distinct()
    ).all():
        if deal_id not in result or framework not in Framework.__members__.values():
            continue
        owner_id, known = result[deal_id]
        elements = dict(known.elements) if known else {}
        elements[element] = (UtteranceRef(call_id="", utterance=None),)
        result[deal_id] = (owner_id, MethodologyState(framework=Framework(framework), elements=elements))
    return result


def talk_speakers(
    session: Session, *, owner_ids: Owners, since: dt.date, limit: int = 500
) -> list[tuple[int, Any]]:
    """Return (owner id, insights speakers JSON) for the owners' recent processed calls."""
    speakers = col(Call.insights)["speakers"]
    rows = session.exec(
        select(Deal.owner_id, speakers)
        .join(Deal, col(Deal.id) == Call.deal_id)
        .where(
            col(Deal.id).in_(_deal_scope(owner_ids)), Call.status == CallStatus.DONE, col(Call.date) >= since
        )
        .order_by(col(Call.date).desc())
        .limit(limit)
    ).all()
    return [(owner_id, value) for owner_id, value in rows]


def _group(rows: Sequence[Any], key: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def _calls(session: Session, scope: Any) -> tuple[dict[int, list[CallEvidence]], dict[int, dt.datetime]]:
    calls = session.exec(
        select(Call)
        .options(*_LIGHT_CALL)
        .where(col(Call.deal_id).in_(scope), Call.status == CallStatus.DONE)
        .order_by(col(Call.created_at), col(Call.id))
    ).all()
    speakers = _group(
        session.exec(
            select(Utterance.call_id, Utterance.speaker, Utterance.side)
            .join(Call, col(Call.id) == Utterance.call_id)
            .where(col(Call.deal_id).in_(scope), Call.status == CallStatus.DONE)
            .distinct()
        ).all(),
        lambda r: r[0],
    )
    by_deal: dict[int, list[CallEvidence]] = defaultdict(list)
    times: dict[int, dt.datetime] = {}
    for call in calls:
        said = speakers.get(call.id or 0, [])
        buyers = tuple(sorted({name for _, name, side in said if side == Side.BUYER}))
        reps = tuple(sorted({name for _, name, side in said if side == Side.REP}))
        at = times[call.id or 0] = call_time(call)
        evidence = CallEvidence(
            str(call.id), at, bool(buyers), buyers, reps, call.duration_s, call.processed_at
        )
        by_deal[call.deal_id or 0].append(evidence)
    return by_deal, times


def _histories(session: Session, scope: Any) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
    closes = session.exec(
        select(DealCloseDateHistory)
        .where(col(DealCloseDateHistory.deal_id).in_(scope))
        .order_by(col(DealCloseDateHistory.at), col(DealCloseDateHistory.id))
    ).all()
    stages = session.exec(
        select(DealStageHistory, User.email)
        .outerjoin(User, col(User.id) == DealStageHistory.by_user_id)
        .where(col(DealStageHistory.deal_id).in_(scope))
        .order_by(col(DealStageHistory.at), col(DealStageHistory.id))
    ).all()
    close_changes = _group(
        [(r.deal_id, CloseDateChange(at=r.at, from_date=r.from_date, to_date=r.to_date)) for r in closes],
        lambda r: r[0],
    )
    stage_changes = _group(
        [
            (
                h.deal_id,
                StageChange(
                    at=h.at,
                    from_stage=parse_stage(h.from_stage) if h.from_stage else None,
                    to_stage=parse_stage(h.to_stage),
                    by=email,
                    override_reason=h.override_reason,
                ),
            )
            for h, email in stages
        ],
        lambda r: r[0],
    )
    return close_changes, stage_changes


def _people(session: Session, scope: Any, times: dict[int, dt.datetime]) -> dict[str, dict[int, list[Any]]]:
    holders = session.exec(
        select(Stakeholder, Contact)
        .join(Contact, col(Contact.id) == Stakeholder.contact_id)
        .where(col(Stakeholder.deal_id).in_(scope))
        .order_by(col(Contact.name))
    ).all()
    steps = session.exec(
        select(NextStep)
        .where(col(NextStep.deal_id).in_(scope))
        .order_by(col(NextStep.call_id), col(NextStep.utterance_index), col(NextStep.id))
    ).all()
    objections = session.exec(
        select(Objection).where(col(Objection.deal_id).in_(scope)).order_by(col(Objection.id))
    ).all()
    return {
        "stakeholders": _group(
            [
                (
                    s.deal_id,
                    StakeholderState(
                        str(s.contact_id),
                        c.name,
                        c.title,
                        s.role,
                        s.decision_maker,
                        s.on_calls,
                        s.last_seen_at,
                    ),
                )
                for s, c in holders
            ],
            lambda r: r[0],
        ),
        "next_steps": _group([(s.deal_id, _step_state(s)) for s in steps], lambda r: r[0]),
        "objections": _group(
            [(o.deal_id, _objection_state(o, times)) for o in objections if o.call_id in times],
            lambda r: r[0],
        ),
    }


def _step_state(step: NextStep) -> NextStepState:
    values = effective(step)
    return NextStepState(
        id=str(step.id),
        text=values["text"],
        call_id=str(step.call_id) if step.call_id is not None else None,
        utterance=step.utterance_index,
        due=values["due"],
        status=step.status,
        confirmed=step.confirmed,
        owner_side=values["owner_side"],
    )


def _objection_state(o: Objection, times: dict[int, dt.datetime]) -> ObjectionState:
    return ObjectionState(
        id=str(o.id),
        call_id=str(o.call_id),
        utterance=o.utterance_index,
        category=o.category,
        status=o.status,
        raised_at=times[o.call_id],
        text=o.text,
    )


def _methodology(session: Session, scope: Any) -> dict[int, MethodologyState]:
    rows = session.exec(select(MethodologyEvidence).where(col(MethodologyEvidence.deal_id).in_(scope))).all()
    result: dict[int, MethodologyState] = {}
    for deal_id, items in _group(rows, lambda r: r.deal_id or 0).items():
        known = [r for r in items if r.framework in Framework.__members__.values()]
        if not known:
            continue
        # As in crud.deal_state: judged against the framework most of the evidence uses.
        framework = Framework(Counter(r.framework for r in known).most_common(1)[0][0])
        elements: dict[str, tuple[UtteranceRef, ...]] = {}
        for r in known:
            if r.framework == framework:
                ref = UtteranceRef(call_id=str(r.call_id), utterance=r.utterance_index)
                elements[r.element] = (*elements.get(r.element, ()), ref)
        result[deal_id] = MethodologyState(framework=framework, elements=elements)
    return result


def deal_states(session: Session, *, owner_ids: Owners, full: bool = True) -> list[DealState]:
    """Build the signals view of every deal of the owners; `full=False` loads only deal rows and history."""
    scope = _deal_scope(owner_ids)
    deals = session.exec(select(Deal).where(col(Deal.id).in_(scope)).order_by(col(Deal.id))).all()
    emails = dict(session.exec(select(User.id, User.email)).all())
    closes, stages = _histories(session, scope)
    calls, times = _calls(session, scope) if full else ({}, {})
    people = _people(session, scope, times) if full else {}
    methodology = _methodology(session, scope) if full else {}

    def pick(kind: str, deal_id: int) -> tuple[Any, ...]:
        return tuple(v for _, v in people.get(kind, {}).get(deal_id, []))

    return [
        DealState(
            id=str(d.id),
            name=d.name,
            stage=parse_stage(d.stage),
            created_at=d.created_at,
            amount=float(d.amount) if d.amount is not None else None,
            currency=d.currency,
            close_date=d.close_date,
            forecast_category=d.forecast_category,
            probability=d.probability,
            owner=emails.get(d.owner_id),
            stage_entered_at=d.stage_entered_at,
            close_date_changes=tuple(v for _, v in closes.get(d.id or 0, [])),
            stage_changes=tuple(v for _, v in stages.get(d.id or 0, [])),
            calls=tuple(calls.get(d.id or 0, [])),
            stakeholders=pick("stakeholders", d.id or 0),
            next_steps=pick("next_steps", d.id or 0),
            objections=pick("objections", d.id or 0),
            methodology=methodology.get(d.id or 0),
            last_buyer_activity=d.last_buyer_activity,
        )
        for d in deals
    ]


def risk_scores(session: Session, *, owner_ids: Owners) -> dict[str, int]:
    """Return the stored risk score of each scored deal of the owners, by deal id (as a string)."""
    rows = session.exec(
        select(Deal.id, Deal.risk_score).where(
            col(Deal.id).in_(_deal_scope(owner_ids)), col(Deal.risk_score).is_not(None)
        )
    ).all()
    return {str(deal_id): score for deal_id, score in rows if score is not None}
