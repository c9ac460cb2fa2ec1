"""Rows to API schemas: the deal as the contract shows it, calls, next steps."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlmodel import Session, col, select

from extract.types import FRAMEWORK_ELEMENTS, Framework
from models.crud.next_steps import EDITABLE, effective
from models.enums import ObjectionStatus
from models.schemas import (
    CallPublic,
    ChangePublic,
    ChangesPublic,
    DealPublic,
    ElementPublic,
    EvidenceRef,
    MethodologyPublic,
    NextStepPublic,
    NextStepSummary,
    ObjectionPublic,
    RiskPublic,
    StageChangePublic,
    StakeholderPublic,
)
from models.tables import (
    Account,
    Call,
    ChangeEvent,
    Contact,
    Deal,
    DealStageHistory,
    MethodologyEvidence,
    NextStep,
    Objection,
    Stakeholder,
    User,
)
from signals.config import RiskConfig
from signals.stages import parse_stage

DEFAULT_CONFIG = RiskConfig()


class DealStamp(NamedTuple):
    """What decides who may read a deal and whether a kept view of it still stands."""

    version: int
    owner_id: int
    owner_manager_id: int | None


_DEALS, _USERS = Deal.__table__, User.__table__  # type: ignore[attr-defined]
# Core, built once: a deal read runs it on every request, and a cached view needs nothing else
# (through a Session the same SELECT costs about twice as much).
_STAMP = (
    sa.select(_DEALS.c.version, _DEALS.c.owner_id, _USERS.c.manager_id)
    .join(_USERS, _USERS.c.id == _DEALS.c.owner_id)
    .where(_DEALS.c.id == sa.bindparam("deal_id"))
)


def get_deal_stamp(connection: sa.Connection, *, deal_id: int) -> DealStamp | None:
    """Get a deal's version, owner and owner's manager in one query (None: no such deal)."""
    row = connection.execute(_STAMP, {"deal_id": deal_id}).first()
    return DealStamp(*row) if row is not None else None


_STAMP_SQLITE = str(_STAMP.compile(dialect=sqlite_dialect()))  # one "?" for the deal id


def read_deal_stamp(engine: sa.Engine, *, deal_id: int) -> DealStamp | None:
    """`get_deal_stamp` on a connection of its own; on SQLite straight through the pool's DB-API
    connection (plain integer columns): the hot deal read runs it on the event loop, where
    SQLAlchemy's statement execution cost about five times the query itself (sampled)."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:  # not a Session: a Session adds ~2x to this query
            return get_deal_stamp(connection, deal_id=deal_id)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            row = cursor.execute(_STAMP_SQLITE, (deal_id,)).fetchone()
        finally:
            cursor.close()
    finally:
        raw.close()  # back to the pool
    return DealStamp(*row) if row is not None else None


def deal_view_json(session: Session, deal: Deal) -> bytes:
    """Serialise the API view of a deal, as the JSON the API sends."""
    return deal_to_public(session, deal).model_dump_json().encode()


def deal_to_public(session: Session, deal: Deal, *, config: RiskConfig | None = None) -> DealPublic:
    """Build the API view of a deal; unset forecast category and probability show the stage's defaults."""
    account = session.get(Account, deal.account_id)
    owner = session.get(User, deal.owner_id)
    assert account is not None and owner is not None and deal.id is not None
    config = config or DEFAULT_CONFIG
    stage = parse_stage(deal.stage)
    return DealPublic.model_validate(
        deal,
        update={
            "account": account.name,
            "owner_email": owner.email,
            "forecast_category": deal.forecast_category or config.stage_forecast_categories.get(stage),
            "probability": config.stage_probabilities.get(stage)
            if deal.probability is None
            else deal.probability,
            "next_step": _next_step(deal),
            "stakeholders": _stakeholders(session, deal.id),
            "open_objections": _open_objections(session, deal.id),
            "risk": _risk(deal),
            "methodology": _methodology(session, deal.id),
            "stage_history": _stage_history(session, deal.id),
        },
    )


def _next_step(deal: Deal) -> NextStepSummary | None:
    if deal.next_step_text is None:
        return None
    return NextStepSummary(
        text=deal.next_step_text,
        due=deal.next_step_due,
        owner=deal.next_step_owner,
        owner_side=deal.next_step_owner_side,
        confirmed=deal.next_step_confirmed,
    )


def _risk(deal: Deal) -> RiskPublic | None:
    if deal.risk_score is None or deal.risk_level is None:
        return None
    return RiskPublic(score=deal.risk_score, level=deal.risk_level, factors=deal.risk_factors)


def _stakeholders(session: Session, deal_id: int) -> list[StakeholderPublic]:
    rows = session.exec(
        select(Stakeholder, Contact)
        .join(Contact, col(Contact.id) == Stakeholder.contact_id)
        .where(Stakeholder.deal_id == deal_id)
        .order_by(col(Stakeholder.decision_maker).desc(), col(Contact.name))
    ).all()
    return [
        StakeholderPublic(
            id=s.id,
            contact_id=s.contact_id,
            name=c.name,
            email=c.email,
            title=c.title,
            role=s.role,
            decision_maker=s.decision_maker,
            on_calls=s.on_calls,
        )
        for s, c in rows
    ]


def _open_objections(session: Session, deal_id: int) -> list[ObjectionPublic]:
    rows = session.exec(
        select(Objection)
        .where(Objection.deal_id == deal_id, Objection.status == ObjectionStatus.OPEN)
        .order_by(col(Objection.call_id), col(Objection.utterance_index))
    ).all()
    return [ObjectionPublic.model_validate(o) for o in rows]


def _methodology(session: Session, deal_id: int) -> list[MethodologyPublic]:
    rows = session.exec(
        select(MethodologyEvidence)
        .where(MethodologyEvidence.deal_id == deal_id)
        .order_by(col(MethodologyEvidence.call_id), col(MethodologyEvidence.utterance_index))
    ).all()
    evidence: dict[str, dict[str, list[EvidenceRef]]] = {}
    for row in rows:
        refs = evidence.setdefault(row.framework, {}).setdefault(row.element, [])
        refs.append(EvidenceRef(call_id=row.call_id, utterance=row.utterance_index))
    result = []
    for framework, elements in evidence.items():
        names = _framework_elements(framework)
        ordered = list(names) + [e for e in elements if e not in names]
        result.append(
            MethodologyPublic(
                framework=framework,
                elements={
                    e: ElementPublic(covered=e in elements, evidence=elements.get(e, [])) for e in ordered
                },
            )
        )
    return result


def _framework_elements(framework: str) -> tuple[str, ...]:
    try:
        return FRAMEWORK_ELEMENTS[Framework(framework)]
    except (ValueError, KeyError):
        return ()


def _stage_history(session: Session, deal_id: int) -> list[StageChangePublic]:
    rows = session.exec(
        select(DealStageHistory, User)
        .outerjoin(User, col(User.id) == DealStageHistory.by_user_id)
        .where(DealStageHistory.deal_id == deal_id)
        .order_by(col(DealStageHistory.at), col(DealStageHistory.id))
    ).all()
    return [
        StageChangePublic(
            from_stage=h.from_stage,
            to_stage=h.to_stage,
            at=h.at,
            by=u.email if u else None,
            override_reason=h.override_reason,
        )
        for h, u in rows
    ]


def call_to_public(session: Session, call: Call) -> CallPublic:
    """Build the API view of a call, with its deal's CRM id."""
    deal = session.get(Deal, call.deal_id) if call.deal_id is not None else None
    return CallPublic.model_validate(call, update={"deal_external_id": deal.external_id if deal else None})


def next_step_to_public(step: NextStep) -> NextStepPublic:
    """Build the API view of a next step, showing a reviewer's edits in place of the extraction."""
    edited = any(getattr(step, f"edited_{name}") is not None for name in EDITABLE)
    return NextStepPublic.model_validate(step, update={**effective(step), "edited": edited})


def changes_to_public(events: list[ChangeEvent], since: int | None) -> ChangesPublic:
    """Build a change-feed page; `next` is the cursor to pass as `since` next time."""
    changes = [ChangePublic.model_validate(e) for e in events]
    return ChangesPublic(changes=changes, next=changes[-1].id if changes else since)
