"""Next steps: reviewer decisions, the deal's current next step, the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from models.crud.changes import record_change
from models.crud.versions import bump_version
from models.enums import ChangeEntity, NextStepStatus, ReviewDecision
from models.schemas import NextStepReview
from models.sqltypes import utcnow
from models.tables import Deal, NextStep, ReviewAudit, User

OPEN = (NextStepStatus.SUGGESTED, NextStepStatus.ACCEPTED, NextStepStatus.EDITED)
REVIEWED = (NextStepStatus.ACCEPTED, NextStepStatus.EDITED)
EDITABLE = ("text", "action", "owner", "owner_side", "due")
DECISION_STATUS = {
    ReviewDecision.ACCEPT: NextStepStatus.ACCEPTED,
    ReviewDecision.EDIT: NextStepStatus.EDITED,
    ReviewDecision.REJECT: NextStepStatus.REJECTED,
    ReviewDecision.DONE: NextStepStatus.DONE,
}


def effective(step: NextStep) -> dict[str, Any]:
    """Return the step's fields as the reviewer left them (edits win over the extraction)."""
    values = {name: getattr(step, name) for name in EDITABLE}
    for name in EDITABLE:
        edited = getattr(step, f"edited_{name}")
        if edited is not None:
            values[name] = edited
    return values


def get_next_step(session: Session, *, next_step_id: int) -> NextStep | None:
    """Get a next step by id."""
    return session.get(NextStep, next_step_id)


def list_next_steps(
    session: Session, *, deal_id: int | None = None, call_id: int | None = None, open_only: bool = False
) -> list[NextStep]:
    """List next steps of a deal and/or call, in utterance order."""
    statement = select(NextStep).order_by(
        col(NextStep.call_id), col(NextStep.utterance_index), col(NextStep.id)
    )
    if deal_id is not None:
        statement = statement.where(NextStep.deal_id == deal_id)
    if call_id is not None:
        statement = statement.where(NextStep.call_id == call_id)
    if open_only:
        statement = statement.where(col(NextStep.status).in_(OPEN))
    return list(session.exec(statement).all())


def refresh_deal_next_step(session: Session, *, deal: Deal) -> bool:
    """Copy the deal's most pressing open next step onto the deal row; return whether it changed."""
    steps = list_next_steps(session, deal_id=deal.id, open_only=True)

    # Earliest due date (a reviewer's edit wins) first; among equals a reviewed step beats a
    # suggestion, then the newest.
    def due(step: NextStep) -> dt.date | None:
        return step.edited_due if step.edited_due is not None else step.due

    steps.sort(key=lambda s: (due(s) is None, due(s), s.status not in REVIEWED, -(s.id or 0)))
    best = effective(steps[0]) if steps else None
    values = {
        "next_step_text": best["text"] if best else None,
        "next_step_due": best["due"] if best else None,
        "next_step_owner": best["owner"] if best else None,
        "next_step_owner_side": best["owner_side"] if best else None,
        "next_step_confirmed": bool(steps and steps[0].confirmed),
    }
    changed = any(getattr(deal, name) != value for name, value in values.items())
    deal.sqlmodel_update(values)
    return changed


def review_next_step(
    session: Session, *, next_step: NextStep, review: NextStepReview, by_user: User
) -> NextStep:
    """Apply a reviewer's decision to a next step, with an audit row and a change event."""
    before = _snapshot(next_step)
    next_step.status = DECISION_STATUS[review.decision]
    for name, value in review.edited_fields().items():
        setattr(next_step, f"edited_{name}", value)
    next_step.reviewed_by_id, next_step.reviewed_at = by_user.id, utcnow()
    after = _snapshot(next_step)
    assert next_step.id is not None
    session.add(
        ReviewAudit(
            entity=ChangeEntity.NEXT_STEP,
            entity_id=next_step.id,
            user_id=by_user.id,
            action=review.decision.value,
            before=before,
            after=after,
        )
    )
    deal = session.get(Deal, next_step.deal_id) if next_step.deal_id is not None else None
    if deal is not None:
        refresh_deal_next_step(session, deal=deal)
        bump_version(session, deal=deal)
    record_change(
        session,
        entity=ChangeEntity.NEXT_STEP,
        entity_id=next_step.id,
        type=next_step.status.value,
        data={"deal_id": next_step.deal_id, "by": by_user.email, **after},
    )
    session.commit()
    session.refresh(next_step)
    return next_step


def _snapshot(step: NextStep) -> dict[str, Any]:
    values = effective(step)
    values["due"] = values["due"].isoformat() if values["due"] else None
    values["owner_side"] = str(values["owner_side"]) if values["owner_side"] else None
    return {"status": str(step.status), "confirmed": step.confirmed, **values}
