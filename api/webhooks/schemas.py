"""Request and response bodies of the webhook subscription routes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, Field, model_validator

EventType = Literal["deal.updated", "risk.changed", "next_step.accepted", "call.processed"]
MAX_GRACE_S = 7 * 24 * 3600  # as Stripe: an old secret may overlap the new one for a week at most


def _secret() -> Any:
    return Field(default=None, min_length=16, max_length=255, description="at least 16 characters")


class WebhookCreate(BaseModel):
    """Body of POST /v1/webhooks; without a secret one is generated and returned once."""

    url: AnyHttpUrl
    events: list[EventType] = Field(min_length=1)
    secret: str | None = _secret()


class WebhookUpdate(BaseModel):
    """Body of PATCH /v1/webhooks/{id}: any of url, events, active; checked as on create."""

    url: AnyHttpUrl | None = None
    events: list[EventType] | None = Field(default=None, min_length=1)
    active: bool | None = Field(default=None, description="false pauses deliveries; events wait")

    @model_validator(mode="after")
    def _no_nulls(self) -> WebhookUpdate:
        nulls = [name for name in self.model_fields_set if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null; leave it out to keep it")
        return self


class SecretRotation(BaseModel):
    """Body of POST /v1/webhooks/{id}/rotate-secret (optional)."""

    secret: str | None = _secret()
    grace_period_s: int | None = Field(
        default=None,
        ge=0,
        le=MAX_GRACE_S,
        description="how long deliveries also carry the old secret's signature (default: the setting)",
    )


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: dt.datetime
    previous_secret_expires_at: dt.datetime | None = Field(
        default=None, description="until then deliveries are also signed with the previous secret"
    )
    deliveries: dict[str, int] = Field(description="events by state: pending, delivered, dead")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="signs every delivery; shown only in this response")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class WebhookAuditEntry(BaseModel):
    at: dt.datetime
    by: str | None = Field(description="the email of who made the change")
    action: Literal["created", "updated", "secret_rotated", "deleted"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class WebhookAudit(BaseModel):
    data: list[WebhookAuditEntry]
    count: int


class Requeued(BaseModel):
    requeued: int
