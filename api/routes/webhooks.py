"""Outbound webhook subscriptions, managed by RevOps."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import AnyHttpUrl, BaseModel, Field
from sqlmodel import Session

from api.deps import RevOpsUser, RowId, SessionDep
from api.problems import ProblemError
from api.webhooks import new_secret
from models.crud import webhooks as store
from models.tables import WebhookSubscription

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EventType = Literal["deal.updated", "risk.changed", "next_step.accepted", "call.processed"]


class WebhookCreate(BaseModel):
    """Body of POST /v1/webhooks; without a secret one is generated and returned once."""

    url: AnyHttpUrl
    events: list[EventType] = Field(min_length=1)
    secret: str | None = Field(default=None, min_length=16, max_length=255)


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: dt.datetime
    deliveries: dict[str, int] = Field(description="events by state: pending, delivered, dead")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="signs every delivery; shown only in this response")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


def _public(session: Session, subscription: WebhookSubscription) -> WebhookPublic:
    assert subscription.id is not None
    counts = store.delivery_counts(session, subscription_id=subscription.id)
    return WebhookPublic(
        id=subscription.id,
        url=subscription.url,
        events=subscription.events,
        active=subscription.active,
        created_at=subscription.created_at,
        deliveries=counts,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(body: WebhookCreate, session: SessionDep, user: RevOpsUser) -> WebhookCreated:
    """Subscribe a URL to events; the response carries the signing secret, shown only once."""
    if body.url.scheme not in ("http", "https"):
        raise ProblemError(status.HTTP_422_UNPROCESSABLE_CONTENT, "url must be http or https")
    secret = body.secret or new_secret()
    subscription = store.create_subscription(
        session, url=str(body.url), events=list(body.events), secret=secret, by_user=user
    )
    return WebhookCreated(**_public(session, subscription).model_dump(), secret=secret)


@router.get("", response_model=WebhooksPublic)
def list_webhooks(session: SessionDep, _user: RevOpsUser) -> WebhooksPublic:
    """List webhook subscriptions with their delivery counts (secrets are never shown again)."""
    data = [_public(session, s) for s in store.list_subscriptions(session)]
    return WebhooksPublic(data=data, count=len(data))


@router.get("/{webhook_id}", response_model=WebhookPublic, responses={404: {}})
def get_webhook(webhook_id: RowId, session: SessionDep, _user: RevOpsUser) -> WebhookPublic:
    """Retrieve a webhook subscription."""
    subscription = store.get_subscription(session, subscription_id=webhook_id)
    if subscription is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no webhook {webhook_id}")
    return _public(session, subscription)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
def delete_webhook(webhook_id: RowId, session: SessionDep, _user: RevOpsUser) -> Response:
    """Delete a subscription; its undelivered events are dropped."""
    subscription = store.get_subscription(session, subscription_id=webhook_id)
    if subscription is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no webhook {webhook_id}")
    store.delete_subscription(session, subscription=subscription)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class Requeued(BaseModel):
    requeued: int


@router.post("/{webhook_id}/redeliver", response_model=Requeued, responses={404: {}})
def redeliver_webhook(webhook_id: RowId, session: SessionDep, _user: RevOpsUser) -> Requeued:
    """Retry the subscription's dead events (after the receiver is fixed) with a fresh set of attempts."""
    subscription = store.get_subscription(session, subscription_id=webhook_id)
    if subscription is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no webhook {webhook_id}")
    return Requeued(requeued=store.requeue_dead_events(session, subscription_id=webhook_id))
