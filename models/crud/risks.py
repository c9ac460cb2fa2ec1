"""Deal risk: store scores with their change events, one deal or a batch at a time.

Each score is stored with `risk_fresh_until`, the moment time alone may change it
(`signals.freshness`): periodic re-scoring and reviews re-score only deals past theirs. NULL
means unknown (never scored with it kept): such deals are always due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models.crud.bulk_state import StoredRisk
from models.crud.changes import record_change, record_changes
from models.crud.versions import bump_version
from models.enums import ChangeEntity, RiskLevel
from models.sqltypes import utcnow
from models.tables import Deal
from signals.types import RiskScore

# Stored for risk that time alone never changes (e.g. closed deals); NULL already means unknown.
NEVER_STALE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)

Scored = tuple[StoredRisk, RiskScore, dt.datetime | None]


def fresh_until_column(fresh_until: dt.datetime | None) -> dt.datetime:
    """Turn `signals.freshness.risk_fresh_until`'s answer (None: never) into the stored value."""
    return NEVER_STALE if fresh_until is None else fresh_until


def set_deal_risk(
    session: Session, *, deal: Deal, risk: RiskScore, fresh_until: dt.datetime | None = None
) -> bool:
    """Store a deal's risk score; return whether it changed (then a risk change event is written)."""
    changed = apply_deal_risk(session, deal=deal, risk=risk, fresh_until=fresh_until)
    if changed or session.is_modified(deal):
        session.commit()
        session.refresh(deal)
    return changed


def apply_deal_risk(
    session: Session, *, deal: Deal, risk: RiskScore, fresh_until: dt.datetime | None = None
) -> bool:
    """Stage a risk score change and its change event without committing (building block).

    `fresh_until` is stored either way (None: unknown, so the deal stays due for re-scoring).
    """
    if deal.risk_fresh_until != fresh_until:
        deal.risk_fresh_until = fresh_until
    change = _risk_change(deal.risk_score, deal.risk_level, deal.risk_factors, risk)
    if change is None:
        return False
    deal.risk_score, deal.risk_level, deal.risk_factors = risk.score, RiskLevel(risk.level), change["factors"]
    bump_version(session, deal=deal)
    record_change(
        session,
        entity=ChangeEntity.RISK,
        entity_id=deal.id or 0,
        type="risk_changed",
        data=_event(deal.external_id, change),
    )
    return True


def save_deal_risks(
    session: Session, *, scored: Collection[tuple[Deal, RiskScore, dt.datetime | None]]
) -> int:
    """Stage many ORM deals' new scores (see `save_scored_risks`); return how many changed."""
    return save_scored_risks(
        session,
        scored=[
            (
                StoredRisk(
                    deal.id or 0,
                    deal.external_id,
                    deal.risk_score,
                    deal.risk_level,
                    deal.risk_factors,
                    deal.risk_fresh_until,
                ),
                risk,
                fresh,
            )
            for deal, risk, fresh in scored
        ],
    )


@dataclass(frozen=True, slots=True)
class RiskWrites:
    """What storing a batch of new scores writes: plain values, cheap to pass between processes."""

    changed: list[dict[str, Any]] = field(default_factory=list)  # new risk (version bumped)
    moved: list[dict[str, Any]] = field(default_factory=list)  # only risk_fresh_until moved
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # one per changed risk


def plan_risk_writes(scored: Collection[Scored]) -> RiskWrites:
    """Compare new scores with the stored ones and return the writes they need (no database)."""
    writes = RiskWrites()
    now = utcnow()
    for stored, risk, fresh in scored:
        change = _risk_change(stored.score, stored.level, stored.factors, risk)
        if change is None:
            if stored.fresh_until != fresh:
                writes.moved.append({"b_id": stored.id, "b_fresh": fresh})
            continue
        level = RiskLevel(risk.level)
        writes.changed.append(
            {"b_id": stored.id, "b_score": risk.score, "b_level": level, "b_factors": change["factors"]}
            | {"b_fresh": fresh, "b_at": now}
        )
        writes.events.append((stored.id, _event(stored.external_id, change)))
    return writes


def apply_risk_writes(session: Session, *, writes: RiskWrites) -> int:
    """Stage planned writes without committing; return how many deals' risk changed.

    A changed risk is one batched UPDATE (version bumped) plus one change event per deal, queued
    for the commit like every other event. An unchanged risk whose freshness moved only gets
    `risk_fresh_until` updated: no version bump, no event (nothing a reader sees changed).
    """
    table: sa.Table = Deal.__table__  # type: ignore[attr-defined]
    by_id = table.c.id == sa.bindparam("b_id")
    if writes.changed:
        values = {
            "risk_score": sa.bindparam("b_score"),
            "risk_level": sa.bindparam("b_level"),
            "risk_factors": sa.bindparam("b_factors"),
            "risk_fresh_until": sa.bindparam("b_fresh"),
            "updated_at": sa.bindparam("b_at"),
            "version": table.c.version + 1,
        }
        session.connection().execute(sa.update(table).where(by_id).values(values), writes.changed)
        record_changes(session, entity=ChangeEntity.RISK, type="risk_changed", changes=writes.events)
    if writes.moved:
        statement = sa.update(table).where(by_id).values(risk_fresh_until=sa.bindparam("b_fresh"))
        session.connection().execute(statement, writes.moved)
    return len(writes.changed)


def save_scored_risks(session: Session, *, scored: Collection[Scored]) -> int:
    """Stage new scores without committing (`plan_risk_writes` then `apply_risk_writes`)."""
    return apply_risk_writes(session, writes=plan_risk_writes(scored))


def _risk_change(
    score: int | None, level: str | None, factors: list[dict[str, Any]] | None, risk: RiskScore
) -> dict[str, Any] | None:
    new_factors = [factor.to_dict() for factor in risk.factors]
    if (score, level, factors) == (risk.score, risk.level, new_factors):
        return None
    return {"factors": new_factors, "previous": {"score": score, "level": level}, "risk": risk}


def _event(external_id: str, change: dict[str, Any]) -> dict[str, Any]:
    risk: RiskScore = change["risk"]
    new = {
        "score": risk.score,
        "level": str(risk.level),
        "factors": change["factors"],
        "capped": risk.capped,
        "raw_points": risk.raw_points,
    }
    return {"external_id": external_id, "previous": change["previous"], "risk": new}
