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
from models.crud.results import call_moment
from models.enums import CallStatus, NextStepStatus, ObjectionStatus
from models.tables import (
    Call,
    ChangeEvent,
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
    "data_version",
    "call_utterances",
    "deal_states",
    "deal_versions",
    "deal_summaries",
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


def _by_deal(pairs: Sequence[tuple[int, Any]]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for deal_id, value in pairs:
        grouped[deal_id].append(value)
    return grouped


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _rows(session: Session, statement: Any) -> Sequence[Any]:
    # Plain rows, not ORM instances: building 20,000 instances costs more than the queries.
    return session.connection().execute(statement).all()


def _calls(session: Session, scope: Any) -> tuple[dict[int, list[CallEvidence]], dict[int, dt.datetime]]:
    c, u = _table(Call).c, _table(Utterance).c
    done = sa.and_(c.deal_id.in_(scope), c.status == CallStatus.DONE)
    calls = _rows(
        session,
        sa.select(c.id, c.deal_id, c.started_at, c.date, c.created_at, c.duration_s, c.processed_at)
        .where(done)
        .order_by(c.created_at, c.id),
    )
    said = _group(
        _rows(
            session,
            sa.select(u.call_id, u.speaker, u.side)
            .join(_table(Call), c.id == u.call_id)
            .where(done)
            .distinct(),
        ),
        lambda r: r.call_id,
    )
    by_deal: dict[int, list[CallEvidence]] = defaultdict(list)
    times: dict[int, dt.datetime] = {}
    for r in calls:
        buyers = tuple(sorted({x.speaker for x in said.get(r.id, []) if x.side == Side.BUYER}))
        reps = tuple(sorted({x.speaker for x in said.get(r.id, []) if x.side == Side.REP}))
        at = call_moment(r.started_at, r.date, r.created_at)
        times[r.id] = at
        by_deal[r.deal_id].append(
            CallEvidence(str(r.id), at, bool(buyers), buyers, reps, r.duration_s, r.processed_at)
        )
    return by_deal, times


def _close_changes(session: Session, scope: Any) -> dict[int, list[Any]]:
    h = _table(DealCloseDateHistory).c
    rows = _rows(
        session,
        sa.select(h.deal_id, h.at, h.from_date, h.to_date).where(h.deal_id.in_(scope)).order_by(h.at, h.id),
    )
    return _by_deal([(r.deal_id, CloseDateChange(r.at, r.from_date, r.to_date)) for r in rows])


def _stage_changes(session: Session, scope: Any) -> dict[int, list[Any]]:
    s, u = _table(DealStageHistory).c, _table(User).c
    rows = _rows(
        session,
        sa.select(s.deal_id, s.at, s.from_stage, s.to_stage, s.override_reason, u.email)
        .outerjoin(_table(User), u.id == s.by_user_id)
        .where(s.deal_id.in_(scope))
        .order_by(s.at, s.id),
    )
    changes = [
        (
            r.deal_id,
            StageChange(
                at=r.at,
                from_stage=parse_stage(r.from_stage) if r.from_stage else None,
                to_stage=parse_stage(r.to_stage),
                by=r.email,
                override_reason=r.override_reason,
            ),
        )
        for r in rows
    ]
    return _by_deal(changes)


def _stakeholders(session: Session, scope: Any) -> dict[int, list[Any]]:
    s, c = _table(Stakeholder).c, _table(Contact).c
    rows = _rows(
        session,
        sa.select(
            s.deal_id, s.contact_id, c.name, c.title, s.role, s.decision_maker, s.on_calls, s.last_seen_at
        )
        .join(_table(Contact), c.id == s.contact_id)
        .where(s.deal_id.in_(scope))
        .order_by(c.name),
    )
    states = [(r.deal_id, StakeholderState(str(r.contact_id), *r[2:])) for r in rows]
    return _by_deal(states)


def _steps(session: Session, scope: Any) -> dict[int, list[Any]]:
    n = _table(NextStep).c
    columns = (n.id, n.deal_id, n.call_id, n.utterance_index, n.status, n.confirmed)
    edits = (n.text, n.edited_text, n.due, n.edited_due, n.owner_side, n.edited_owner_side)
    statement = sa.select(*columns, *edits).where(n.deal_id.in_(scope))
    rows = _rows(session, statement.order_by(n.call_id, n.utterance_index, n.id))
    states = []
    for r in rows:
        # As crud's `effective`: a reviewer's edits win over the extraction.
        text = r.edited_text if r.edited_text is not None else r.text
        due = r.edited_due if r.edited_due is not None else r.due
        side = r.edited_owner_side if r.edited_owner_side is not None else r.owner_side
        call = str(r.call_id) if r.call_id is not None else None
        states.append(
            (
                r.deal_id,
                NextStepState(str(r.id), call, r.utterance_index, text, due, r.status, r.confirmed, side),
            )
        )
    return _by_deal(states)


def _objections(session: Session, scope: Any, times: dict[int, dt.datetime]) -> dict[int, list[Any]]:
    o = _table(Objection).c
    rows = _rows(
        session,
        sa.select(o.id, o.deal_id, o.call_id, o.utterance_index, o.category, o.status, o.text)
        .where(o.deal_id.in_(scope))
        .order_by(o.id),
    )
    states = [
        (
            r.deal_id,
            ObjectionState(
                str(r.id), str(r.call_id), r.utterance_index, r.category, r.status, times[r.call_id], r.text
            ),
        )
        for r in rows
        if r.call_id in times
    ]
    return _by_deal(states)


def _methodology(session: Session, scope: Any) -> dict[int, MethodologyState]:
    m = _table(MethodologyEvidence).c
    rows = _rows(
        session,
        sa.select(m.deal_id, m.call_id, m.framework, m.element, m.utterance_index).where(
            m.deal_id.in_(scope)
        ),
    )
    known = set(Framework.__members__.values())
    result: dict[int, MethodologyState] = {}
    for deal_id, items in _group(rows, lambda r: r.deal_id).items():
        counts = Counter(r.framework for r in items if r.framework in known)
        if not counts:
            continue
        # As in crud.deal_state: judged against the framework most of the evidence uses.
        framework = Framework(counts.most_common(1)[0][0])
        elements: dict[str, list[UtteranceRef]] = defaultdict(list)
        for r in items:
            if r.framework == framework:
                elements[r.element].append(UtteranceRef(call_id=str(r.call_id), utterance=r.utterance_index))
        result[deal_id] = MethodologyState(framework, {e: tuple(refs) for e, refs in elements.items()})
    return result


_DEAL_COLUMNS = (
    "id",
    "name",
    "stage",
    "created_at",
    "amount",
    "currency",
    "close_date",
    "forecast_category",
    "probability",
    "stage_entered_at",
    "last_buyer_activity",
)


def _evidence(session: Session, scope: Any, full: bool) -> dict[str, dict[int, Any]]:
    """Per deal id: close changes always; with `full`, stage changes, calls, people and methodology."""
    closes = _close_changes(session, scope)
    if not full:
        return {"close_date_changes": closes}
    calls, times = _calls(session, scope)
    return {
        "close_date_changes": closes,
        "stage_changes": _stage_changes(session, scope),
        "calls": calls,
        "stakeholders": _stakeholders(session, scope),
        "next_steps": _steps(session, scope),
        "objections": _objections(session, scope, times),
        "methodology": _methodology(session, scope),
    }


def deal_states(
    session: Session, *, owner_ids: Owners, full: bool = True, deal_ids: Collection[int] | None = None
) -> list[DealState]:
    """Build the signals view of every deal of the owners (or of `deal_ids`), by deal id.

    `full=False` (the forecast) loads only the deal rows and their close-date changes.
    """
    scope = _deal_scope(owner_ids) if deal_ids is None else list(deal_ids)
    d, u = _table(Deal).c, _table(User).c
    deals = _rows(
        session,
        sa.select(*(d[name] for name in _DEAL_COLUMNS), u.email)
        .join(_table(User), u.id == d.owner_id)
        .where(d.id.in_(scope))
        .order_by(d.id),
    )
    evidence = _evidence(session, scope, full)
    methodology = evidence.pop("methodology", {})
    result = []
    for r in deals:
        fields: dict[str, Any] = {name: tuple(rows.get(r.id, ())) for name, rows in evidence.items()}
        amount = float(r.amount) if r.amount is not None else None
        values = {name: getattr(r, name) for name in _DEAL_COLUMNS if name not in ("id", "stage", "amount")}
        result.append(
            DealState(
                id=str(r.id),
                stage=parse_stage(r.stage),
                amount=amount,
                owner=r.email,
                methodology=methodology.get(r.id),
                **values,
                **fields,
            )
        )
    return result


def deal_versions(session: Session, *, owner_ids: Owners) -> list[tuple[int, int]]:
    """Return (id, version) of the owners' deals: every crud write to a deal bumps its version."""
    rows = session.exec(
        select(Deal.id, Deal.version).where(col(Deal.id).in_(_deal_scope(owner_ids))).order_by(col(Deal.id))
    ).all()
    return [(deal_id, version) for deal_id, version in rows if deal_id is not None]


def risk_scores(session: Session, *, owner_ids: Owners) -> dict[str, int]:
    """Return the stored risk score of each scored deal of the owners, by deal id (as a string)."""
    rows = session.exec(
        select(Deal.id, Deal.risk_score).where(
            col(Deal.id).in_(_deal_scope(owner_ids)), col(Deal.risk_score).is_not(None)
        )
    ).all()
    return {str(deal_id): score for deal_id, score in rows if score is not None}


def data_version(session: Session) -> int:
    """Return the change feed's latest cursor: it moves whenever a deal, next step or risk changes."""
    latest = session.exec(select(sa.func.max(ChangeEvent.id))).one()
    return int(latest or 0)
