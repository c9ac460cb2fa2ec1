"""Reviewer decisions on objections and stakeholders, and the settings RevOps owns.

Each decision writes an audit row (who, when, before -> after) and a change event, and
commits once; extraction never overrides what a person decided.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from extract.types import StakeholderRole
from models.crud.changes import record_change
from models.crud.versions import bump_version
from models.enums import ChangeEntity, ObjectionStatus
from models.sqltypes import utcnow
from models.tables import Contact, Deal, Objection, OrgSetting, ReviewAudit, Stakeholder, User


def _audit(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    user: User,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    session.add(
        ReviewAudit(
            entity=entity,
            entity_id=entity_id,
            user_id=user.id,
            at=utcnow(),
            action=action,
            before=before,
            after=after,
        )
    )


def _touch_deal(session: Session, deal_id: int | None) -> None:
    deal = session.get(Deal, deal_id) if deal_id is not None else None
    if deal is not None:
        bump_version(session, deal=deal)


def review_objection(
    session: Session, *, objection: Objection, status: ObjectionStatus, by_user: User
) -> Objection:
    """Set an objection open or addressed as a reviewer decided (kept across re-analysis)."""
    assert objection.id is not None
    before = {"status": objection.status.value}
    objection.status, objection.reviewed_by_id, objection.reviewed_at = status, by_user.id, utcnow()
    _audit(
        session,
        entity="objection",
        entity_id=objection.id,
        user=by_user,
        action=f"set_{status.value}",
        before=before,
        after={"status": status.value},
    )
    _touch_deal(session, objection.deal_id)
    record_change(
        session,
        entity=ChangeEntity.DEAL,
        entity_id=objection.deal_id or 0,
        type="objection_reviewed",
        data={"objection_id": objection.id, "status": status.value, "by": by_user.email},
    )
    session.commit()
    session.refresh(objection)
    return objection


def _stakeholder_view(row: Stakeholder) -> dict[str, Any]:
    return {
        "role": row.role.value if row.role else None,
        "decision_maker": row.decision_maker,
        "confirmed": row.confirmed,
        "on_calls": row.on_calls,
    }


def review_stakeholder(
    session: Session,
    *,
    stakeholder: Stakeholder,
    role: StakeholderRole | None,
    decision_maker: bool | None,
    by_user: User,
) -> Stakeholder:
    """Confirm a stakeholder's role and decision power (extraction no longer changes them)."""
    assert stakeholder.id is not None
    before = _stakeholder_view(stakeholder)
    if role is not None:
        stakeholder.role = role
    if decision_maker is not None:
        stakeholder.decision_maker = decision_maker
    stakeholder.confirmed = True
    _audit(
        session,
        entity="stakeholder",
        entity_id=stakeholder.id,
        user=by_user,
        action="confirm",
        before=before,
        after=_stakeholder_view(stakeholder),
    )
    _touch_deal(session, stakeholder.deal_id)
    record_change(
        session,
        entity=ChangeEntity.DEAL,
        entity_id=stakeholder.deal_id,
        type="stakeholder_reviewed",
        data={"stakeholder_id": stakeholder.id, **_stakeholder_view(stakeholder), "by": by_user.email},
    )
    session.commit()
    session.refresh(stakeholder)
    return stakeholder


def merge_stakeholders(
    session: Session, *, keep: Stakeholder, duplicate: Stakeholder, by_user: User
) -> Stakeholder:
    """Fold a duplicate stakeholder of the same deal into `keep` (calls add up; the duplicate goes)."""
    assert keep.id is not None and duplicate.id is not None and keep.deal_id == duplicate.deal_id
    before = {"keep": _stakeholder_view(keep), "duplicate": _stakeholder_view(duplicate)}
    keep.on_calls += duplicate.on_calls
    keep.decision_maker = keep.decision_maker or duplicate.decision_maker
    keep.role = keep.role or duplicate.role
    seen = [t for t in (keep.last_seen_at, duplicate.last_seen_at) if t is not None]
    keep.last_seen_at = max(seen) if seen else None
    keep.confirmed = True
    gone = session.get(Contact, duplicate.contact_id)
    session.delete(duplicate)
    _audit(
        session,
        entity="stakeholder",
        entity_id=keep.id,
        user=by_user,
        action="merge",
        before=before,
        after=_stakeholder_view(keep) | {"merged_contact": gone.name if gone else None},
    )
    _touch_deal(session, keep.deal_id)
    record_change(
        session,
        entity=ChangeEntity.DEAL,
        entity_id=keep.deal_id,
        type="stakeholders_merged",
        data={"kept": keep.id, "merged": duplicate.id, "by": by_user.email},
    )
    session.commit()
    session.refresh(keep)
    return keep


def get_setting(session: Session, *, key: str) -> dict[str, Any] | None:
    """Get a settings document by name."""
    row = session.get(OrgSetting, key)
    return dict(row.value) if row is not None else None


def put_setting(session: Session, *, key: str, value: dict[str, Any], by_user: User) -> dict[str, Any]:
    """Replace a settings document (audited)."""
    row = session.get(OrgSetting, key)
    before = dict(row.value) if row is not None else {}
    if row is None:
        row = OrgSetting(key=key, value=value, updated_at=utcnow(), updated_by_id=by_user.id)
        session.add(row)
    else:
        row.value, row.updated_at, row.updated_by_id = value, utcnow(), by_user.id
    session.add(
        ReviewAudit(
            entity="settings",
            entity_id=0,
            user_id=by_user.id,
            at=utcnow(),
            action=f"set_{key}",
            before=before,
            after=value,
        )
    )
    session.commit()
    return dict(row.value)


def list_reviews(session: Session, *, entity: str, entity_id: int) -> list[ReviewAudit]:
    """List the audit trail of one reviewed item, oldest first."""
    return list(
        session.exec(
            select(ReviewAudit)
            .where(ReviewAudit.entity == entity, ReviewAudit.entity_id == entity_id)
            .order_by(col(ReviewAudit.at), col(ReviewAudit.id))
        ).all()
    )
