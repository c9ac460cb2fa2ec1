"""The batched state builder: `DealState`s for many deals at once, one query per evidence table.

Builds exactly what the per-deal reference `crud.deal_state` builds (tests compare the two),
from plain rows rather than ORM instances: building 20,000 instances costs more than the
queries.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from extract.types import Framework
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
)
from signals.methodology import CoveredElements
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
    "IdRange",
    "Owners",
    "build_states",
    "plain_rows",
    "deal_rows",
    "deal_scope",
    "deal_states",
    "in_scope",
    "methodology",
    "next_steps",
    "stage_changes",
    "state_from_row",
    "table",
]

Owners = Collection[int] | None  # None: every owner


class IdRange(NamedTuple):
    """The deals with ids first..last (inclusive), read as a range on each table's deal_id index.

    PostgreSQL plans `deal_id IN (SELECT id FROM deals WHERE id BETWEEN ...)` as a hash join
    over the whole evidence table; the plain range is an index scan of the deals' rows.
    """

    first: int
    last: int


def in_scope(column: Any, scope: Any) -> Any:
    """`column` (a deal id) within `scope`: an `IdRange`, ids, or a select of them."""
    if isinstance(scope, IdRange):
        return column.between(scope.first, scope.last)
    return column.in_(scope)


def deal_scope(owner_ids: Owners) -> Any:
    """Return a subquery of the owners' deal ids (every deal when None)."""
    scope = select(Deal.id)
    if owner_ids is not None:
        scope = scope.where(col(Deal.owner_id).in_(list(owner_ids)))
    return scope


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


def table(model: Any) -> sa.Table:
    """Return a table model's Core table (plain-row reads skip the ORM)."""
    found: sa.Table = model.__table__
    return found


_table = table


def plain_rows(session: Session, statement: Any) -> Sequence[Any]:
    """Execute a Core select and return its rows (no ORM instances)."""
    # Plain rows, not ORM instances: building 20,000 instances costs more than the queries.
    return session.connection().execute(statement).all()


def _calls(session: Session, scope: Any) -> tuple[dict[int, list[CallEvidence]], dict[int, dt.datetime]]:
    c = _table(Call).c
    columns = (c.id, c.deal_id, c.started_at, c.date, c.created_at, c.duration_s, c.processed_at, c.speakers)
    # The status is checked here, not in SQL: with `status = 'done'` in the WHERE clause, SQLite
    # walks the (status, created_at) index over every processed call of every deal for each
    # chunk (190 ms for 5,000 deals of 100,000, growing with the table) instead of looking up
    # the deals' calls by deal_id (8 ms).
    calls = plain_rows(
        session, sa.select(*columns, c.status).where(in_scope(c.deal_id, scope)).order_by(c.created_at, c.id)
    )
    by_deal: dict[int, list[CallEvidence]] = defaultdict(list)
    times: dict[int, dt.datetime] = {}
    for r in calls:
        if r.status != CallStatus.DONE:
            continue
        # Who spoke is kept on the call with its utterances (`Call.speakers`): no utterance scan.
        said = r.speakers or {}
        buyers, reps = tuple(said.get(Side.BUYER, ())), tuple(said.get(Side.REP, ()))
        at = call_moment(r.started_at, r.date, r.created_at)
        times[r.id] = at
        by_deal[r.deal_id].append(
            CallEvidence(str(r.id), at, bool(buyers), buyers, reps, r.duration_s, r.processed_at)
        )
    return by_deal, times


def _close_changes(session: Session, scope: Any) -> dict[int, list[Any]]:
    h = _table(DealCloseDateHistory).c
    rows = plain_rows(
        session,
        sa.select(h.deal_id, h.at, h.from_date, h.to_date)
        .where(in_scope(h.deal_id, scope))
        .order_by(h.at, h.id),
    )
    return _by_deal([(r.deal_id, CloseDateChange(r.at, r.from_date, r.to_date)) for r in rows])


def stage_changes(session: Session, scope: Any, where: Any = None) -> dict[int, list[StageChange]]:
    """Return the stage changes of the deals in `scope` (matching `where`), oldest first, by deal id."""
    s, u = _table(DealStageHistory).c, _table(User).c
    rows = plain_rows(
        session,
        sa.select(s.deal_id, s.at, s.from_stage, s.to_stage, s.override_reason, u.email)
        .outerjoin(_table(User), u.id == s.by_user_id)
        .where(in_scope(s.deal_id, scope), *(() if where is None else (where,)))
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
    rows = plain_rows(
        session,
        sa.select(
            s.deal_id, s.contact_id, c.name, c.title, s.role, s.decision_maker, s.on_calls, s.last_seen_at
        )
        .join(_table(Contact), c.id == s.contact_id)
        .where(in_scope(s.deal_id, scope))
        .order_by(c.name),
    )
    states = [(r.deal_id, StakeholderState(str(r.contact_id), *r[2:])) for r in rows]
    return _by_deal(states)


def next_steps(session: Session, scope: Any, where: Any = None) -> dict[int, list[NextStepState]]:
    """Return the next steps of the deals in `scope` (matching `where`), with edits applied, by deal id."""
    n = _table(NextStep).c
    columns = (n.id, n.deal_id, n.call_id, n.utterance_index, n.status, n.confirmed)
    edits = (n.text, n.edited_text, n.due, n.edited_due, n.owner_side, n.edited_owner_side)
    where_all = (in_scope(n.deal_id, scope), *(() if where is None else (where,)))
    statement = sa.select(*columns, *edits).where(*where_all)
    rows = plain_rows(session, statement.order_by(n.call_id, n.utterance_index, n.id))
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
    rows = plain_rows(
        session,
        sa.select(o.id, o.deal_id, o.call_id, o.utterance_index, o.category, o.status, o.text)
        .where(in_scope(o.deal_id, scope))
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


def methodology(session: Session, scope: Any) -> dict[int, MethodologyState]:
    """Return each deal's methodology evidence, judged against its most used framework."""
    m = _table(MethodologyEvidence).c
    rows = plain_rows(
        session,
        sa.select(m.deal_id, m.call_id, m.framework, m.element, m.utterance_index).where(
            in_scope(m.deal_id, scope)
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


def methodology_elements(session: Session, scope: Any) -> dict[int, CoveredElements]:
    """Return which elements each deal's evidence covers, judged as `methodology` judges it.

    One grouped row per (deal, framework, element) instead of one per utterance: adherence
    needs only the elements. The framework is the one most of the deal's evidence uses (ties:
    the one with the earliest evidence, as `methodology` reads rows in id order).
    """
    m = _table(MethodologyEvidence).c
    rows = plain_rows(
        session,
        sa.select(m.deal_id, m.framework, m.element, sa.func.count(), sa.func.min(m.id))
        .where(in_scope(m.deal_id, scope))
        .group_by(m.deal_id, m.framework, m.element),
    )
    known = set(Framework.__members__.values())
    weight: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)  # deal -> framework -> (n, -first)
    elements: dict[tuple[int, str], set[str]] = defaultdict(set)
    for deal_id, framework, element, count, first in rows:
        if framework not in known:
            continue
        n, earliest = weight[deal_id].get(framework, (0, 0))
        weight[deal_id][framework] = (n + count, max(earliest, -first) if n else -first)
        elements[(deal_id, framework)].add(element)
    result: dict[int, CoveredElements] = {}
    for deal_id, frameworks in weight.items():
        framework = max(frameworks, key=lambda f: frameworks[f])
        result[deal_id] = CoveredElements(Framework(framework), frozenset(elements[(deal_id, framework)]))
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
        "stage_changes": stage_changes(session, scope),
        "calls": calls,
        "stakeholders": _stakeholders(session, scope),
        "next_steps": next_steps(session, scope),
        "objections": _objections(session, scope, times),
        "methodology": methodology(session, scope),
    }


def state_from_row(
    r: Any, evidence: dict[str, dict[int, Any]], evidence_by_deal: dict[int, MethodologyState]
) -> DealState:
    """Build a deal's state from its `deal_rows` row and its evidence (any table left out: none)."""
    fields: dict[str, Any] = {name: tuple(rows.get(r.id, ())) for name, rows in evidence.items()}
    values = {name: getattr(r, name) for name in _DEAL_COLUMNS if name not in ("id", "stage", "amount")}
    return DealState(
        id=str(r.id),
        stage=parse_stage(r.stage),
        amount=float(r.amount) if r.amount is not None else None,
        owner=r.email,
        methodology=evidence_by_deal.get(r.id),
        **values,
        **fields,
    )


def deal_rows(session: Session, where: Any, *extra: Any, limit: int | None = None) -> Sequence[Any]:
    """Return the state's columns of the deals matching `where` (plus `extra` columns), by id."""
    d, u = _table(Deal).c, _table(User).c
    statement = (
        sa.select(*(d[name] for name in _DEAL_COLUMNS), u.email, *extra)
        .join(_table(User), u.id == d.owner_id)
        .where(where)
        .order_by(d.id)
    )
    return plain_rows(session, statement.limit(limit) if limit is not None else statement)


def build_states(session: Session, rows: Sequence[Any], scope: Any, full: bool) -> list[DealState]:
    """Build the states of `deal_rows` rows, reading the evidence of the deals in `scope`."""
    evidence = _evidence(session, scope, full)
    found = evidence.pop("methodology", {})
    return [state_from_row(r, evidence, found) for r in rows]


def deal_states(
    session: Session, *, owner_ids: Owners, full: bool = True, deal_ids: Collection[int] | None = None
) -> list[DealState]:
    """Build the signals view of every deal of the owners (or of `deal_ids`), by deal id.

    `full=False` (the forecast) loads only the deal rows and their close-date changes.
    """
    scope = deal_scope(owner_ids) if deal_ids is None else list(deal_ids)
    rows = deal_rows(session, _table(Deal).c.id.in_(scope))
    return build_states(session, rows, scope, full)
