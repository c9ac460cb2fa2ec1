"""Deal risk: store scores with their change events, one deal or a batch at a time."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models.crud.changes import record_change
from models.crud.deals import bump_version
from models.enums import ChangeEntity, RiskLevel
from models.sqltypes import utcnow
from models.tables import Deal
from signals.types import RiskScore


def set_deal_risk(session: Session, *, deal: Deal, risk: RiskScore) -> bool:
    """Store a deal's risk score; return whether it changed (then a risk change event is written)."""
    changed = apply_deal_risk(session, deal=deal, risk=risk)
    if changed:
        session.commit()
        session.refresh(deal)
    return changed


def apply_deal_risk(session: Session, *, deal: Deal, risk: RiskScore) -> bool:
    """Stage a risk score change and its change event without committing (building block)."""
    change = _risk_change(deal, risk)
    if change is None:
        return False
    deal.risk_score, deal.risk_level, deal.risk_factors = risk.score, RiskLevel(risk.level), change["factors"]
    bump_version(session, deal=deal)
    _record_risk_change(session, deal, change)
    return True


def save_deal_risks(session: Session, *, scored: Collection[tuple[Deal, RiskScore]]) -> int:
    """Stage many deals' risk changes as one batched UPDATE plus their change events (no commit)."""
    table = Deal.__table__  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for deal, risk in scored:
        change = _risk_change(deal, risk)
        if change is None:
            continue
        rows.append(
            {
                "b_id": deal.id,
                "b_score": risk.score,
                "b_level": RiskLevel(risk.level),
                "b_factors": change["factors"],
                "b_at": now,
            }
        )
        _record_risk_change(session, deal, change)
    if rows:
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
            .values(
                risk_score=sa.bindparam("b_score"),
                risk_level=sa.bindparam("b_level"),
                risk_factors=sa.bindparam("b_factors"),
                updated_at=sa.bindparam("b_at"),
                version=table.c.version + 1,
            )
        )
        session.connection().execute(statement, rows)
    return len(rows)


def _risk_change(deal: Deal, risk: RiskScore) -> dict[str, Any] | None:
    factors = [factor.to_dict() for factor in risk.factors]
    if (deal.risk_score, deal.risk_level, deal.risk_factors) == (risk.score, risk.level, factors):
        return None
    previous = {"score": deal.risk_score, "level": deal.risk_level}
    return {"factors": factors, "previous": previous, "risk": risk.to_dict()}


def _record_risk_change(session: Session, deal: Deal, change: dict[str, Any]) -> None:
    record_change(
        session,
        entity=ChangeEntity.RISK,
        entity_id=deal.id or 0,
        type="risk_changed",
        data={"external_id": deal.external_id, "previous": change["previous"], "risk": change["risk"]},
    )
