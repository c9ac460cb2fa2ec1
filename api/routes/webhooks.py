"""Outbound webhook subscriptions, managed by RevOps: create, change, rotate secrets, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from api.deps import RevOpsUser, RowId, SessionDep, SettingsDep
from api.problems import ProblemError
from api.webhooks import new_secret
from api.webhooks.schemas import (
    Requeued,
    SecretRotation,
    WebhookAudit,
    WebhookAuditEntry,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
    WebhookUpdate,
)
from api.webhooks.targets import TargetPolicy, UnsafeTargetError, check_url
from models.crud import webhooks as store
from models.tables import User, WebhookSubscription

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "no such webhook"}}
REFUSED: Responses = {422: {"description": "invalid body, or a URL that is not public http(s)"}}


def _public(session: Session, subscription: WebhookSubscription) -> WebhookPublic:
    assert subscription.id is not None
    expires = subscription.previous_secret_expires_at
    return WebhookPublic(
        id=subscription.id,
        url=subscription.url,
        events=subscription.events,
        active=subscription.active,
        created_at=subscription.created_at,
        previous_secret_expires_at=expires if expires and expires > dt.datetime.now(dt.UTC) else None,
        deliveries=store.delivery_counts(session, subscription_id=subscription.id),
    )


def _checked_url(url: object, policy: TargetPolicy) -> str:
    """Return the URL as text, or answer 422 naming the field when it may not be called."""
    text = str(url)
    try:
        check_url(text, policy)
    except UnsafeTargetError as exc:
        raise ProblemError(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"body.url: {exc}",
            title="Webhook URL refused",
            errors=[{"loc": ["body", "url"], "msg": str(exc)}],
        ) from exc
    return text


def _subscription(session: Session, webhook_id: int) -> WebhookSubscription:
    subscription = store.get_subscription(session, subscription_id=webhook_id)
    if subscription is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, f"no webhook {webhook_id}")
    return subscription


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated, responses=REFUSED)
def create_webhook(
    body: WebhookCreate, session: SessionDep, user: RevOpsUser, settings: SettingsDep
) -> WebhookCreated:
    """Subscribe a URL to events; the response carries the signing secret, shown only once."""
    url = _checked_url(body.url, settings.webhooks.target_policy())
    secret = body.secret or new_secret()
    subscription = store.create_subscription(
        session, url=url, events=list(body.events), secret=secret, by_user=user
    )
    return WebhookCreated(**_public(session, subscription).model_dump(), secret=secret)


@router.get("", response_model=WebhooksPublic)
def list_webhooks(session: SessionDep, _user: RevOpsUser) -> WebhooksPublic:
    """List webhook subscriptions with their delivery counts (secrets are never shown again)."""
    data = [_public(session, s) for s in store.list_subscriptions(session)]
    return WebhooksPublic(data=data, count=len(data))


@router.get("/{webhook_id}", response_model=WebhookPublic, responses=NOT_FOUND)
def get_webhook(webhook_id: RowId, session: SessionDep, _user: RevOpsUser) -> WebhookPublic:
    """Retrieve a webhook subscription."""
    return _public(session, _subscription(session, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookPublic, responses=NOT_FOUND | REFUSED)
def update_webhook(
    webhook_id: RowId, body: WebhookUpdate, session: SessionDep, user: RevOpsUser, settings: SettingsDep
) -> WebhookPublic:
    """Change a subscription's url, events or active flag (inactive: deliveries wait)."""
    subscription = _subscription(session, webhook_id)
    changes = body.model_dump(exclude_unset=True)
    if body.url is not None:
        changes["url"] = _checked_url(body.url, settings.webhooks.target_policy())
    subscription = store.update_subscription(
        session, subscription=subscription, changes=changes, by_user=user
    )
    return _public(session, subscription)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_webhook(webhook_id: RowId, session: SessionDep, user: RevOpsUser) -> Response:
    """Delete a subscription; its undelivered events are dropped."""
    store.delete_subscription(session, subscription=_subscription(session, webhook_id), by_user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated, responses=NOT_FOUND)
def rotate_webhook_secret(
    webhook_id: RowId,
    session: SessionDep,
    user: RevOpsUser,
    settings: SettingsDep,
    body: SecretRotation | None = None,
) -> WebhookCreated:
    """Replace the signing secret (shown only here); the old one also signs until the grace period ends."""
    subscription = _subscription(session, webhook_id)
    body = body or SecretRotation()
    grace_s = body.grace_period_s if body.grace_period_s is not None else settings.webhooks.secret_grace_s
    secret = body.secret or new_secret()
    subscription = store.rotate_secret(
        session, subscription=subscription, secret=secret, grace=dt.timedelta(seconds=grace_s), by_user=user
    )
    return WebhookCreated(**_public(session, subscription).model_dump(), secret=secret)


@router.get("/{webhook_id}/audit", response_model=WebhookAudit, responses=NOT_FOUND)
def get_webhook_audit(webhook_id: RowId, session: SessionDep, _user: RevOpsUser) -> WebhookAudit:
    """List who changed a subscription, when, and before -> after (kept after it is deleted)."""
    rows = store.list_subscription_audit(session, subscription_id=webhook_id)
    if not rows:
        _subscription(session, webhook_id)  # 404 unless it exists (made before audits were kept)
    emails = {row.user_id: _email(session, row.user_id) for row in rows}
    data = [
        WebhookAuditEntry.model_validate(
            {"at": r.at, "by": emails[r.user_id], "action": r.action, "before": r.before, "after": r.after}
        )
        for r in rows
    ]
    return WebhookAudit(data=data, count=len(data))


def _email(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.email if user else None


@router.post("/{webhook_id}/redeliver", response_model=Requeued, responses=NOT_FOUND)
def redeliver_webhook(webhook_id: RowId, session: SessionDep, _user: RevOpsUser) -> Requeued:
    """Retry the subscription's dead events (after the receiver is fixed) with a fresh set of attempts."""
    _subscription(session, webhook_id)
    return Requeued(requeued=store.requeue_dead_events(session, subscription_id=webhook_id))
