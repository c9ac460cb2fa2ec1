"""Which changes become which webhook events, and the JSON body each event carries."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic_core import to_jsonable_python

from models.enums import ChangeEntity, NextStepStatus
from models.tables import ChangeEvent

DEAL_UPDATED = "deal.updated"
RISK_CHANGED = "risk.changed"
NEXT_STEP_ACCEPTED = "next_step.accepted"
CALL_PROCESSED = "call.processed"
EVENT_TYPES = (DEAL_UPDATED, RISK_CHANGED, NEXT_STEP_ACCEPTED, CALL_PROCESSED)

# An edited step was accepted with changes, so subscribers hear about it the same way.
ACCEPTED_STATUSES = frozenset({NextStepStatus.ACCEPTED.value, NextStepStatus.EDITED.value})
DEAL_CHANGE_TYPES = frozenset({"created", "updated", "stage_changed"})


def event_type(change: ChangeEvent) -> str | None:
    """Return the webhook event type a change becomes, or None for changes not published."""
    if change.entity == ChangeEntity.RISK:
        return RISK_CHANGED
    if change.entity == ChangeEntity.DEAL and change.type == "call_processed":
        return CALL_PROCESSED
    if change.entity == ChangeEntity.DEAL and change.type in DEAL_CHANGE_TYPES:
        return DEAL_UPDATED
    if change.entity == ChangeEntity.NEXT_STEP and change.type in ACCEPTED_STATUSES:
        return NEXT_STEP_ACCEPTED
    return None


def event_payload(event_id: uuid.UUID, kind: str, change: ChangeEvent) -> dict[str, Any]:
    """Build the body POSTed to subscribers: `{id, type, created_at, data}`."""
    data = {
        "change_id": change.id,
        "entity": change.entity,
        "entity_id": change.entity_id,
        "change": change.type,
        **(change.data or {}),
    }
    return {
        "id": str(event_id),
        "type": kind,
        "created_at": change.at.isoformat(),
        "data": to_jsonable_python(data),
    }
