"""Webhook subscriptions, the dispatcher's fan-out of change events, and outbox delivery state.

Delivery state lives in `outbox_events`, so a restart loses nothing: an event is pending
until `delivered_at` is set, and dead when `next_attempt_at` is `NEVER` (it gave up).
Every change to a subscription writes an audit row (`review_audit`, entity "webhook": who,
when, before -> after); secrets never appear in it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select, update

from models.crud.changes import list_changes
from models.sqltypes import utcnow
from models.tables import ChangeEvent, OutboxEvent, ReviewAudit, User, WebhookCursor, WebhookSubscription

DISPATCH_CURSOR = "webhooks"
NEVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)  # next_attempt_at of an event given up on

# Returns the webhook event type a change becomes, or None when subscribers never see it.
Classify = Callable[[ChangeEvent], str | None]
# Builds the JSON body sent for (event id, event type, change).
BuildPayload = Callable[[uuid.UUID, str, ChangeEvent], dict[str, Any]]
AUDIT_ENTITY = "webhook"
EDITABLE = ("url", "events", "active")


def _view(subscription: WebhookSubscription) -> dict[str, Any]:
    return {field: getattr(subscription, field) for field in EDITABLE}


def _audit(
    session: Session,
    *,
    subscription: WebhookSubscription,
    by_user: User | None,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    assert subscription.id is not None
    session.add(
        ReviewAudit(
            entity=AUDIT_ENTITY,
            entity_id=subscription.id,
            user_id=by_user.id if by_user else None,
            at=utcnow(),
            action=action,
            before=before,
            after=after,
        )
    )


def create_subscription(
    session: Session, *, url: str, events: list[str], secret: str, by_user: User | None
) -> WebhookSubscription:
    """Create a webhook subscription."""
    subscription = WebhookSubscription(
        url=url, events=sorted(set(events)), secret=secret, created_by_id=by_user.id if by_user else None
    )
    session.add(subscription)
    session.flush()
    _audit(
        session,
        subscription=subscription,
        by_user=by_user,
        action="created",
        before=None,
        after=_view(subscription),
    )
    session.commit()
    session.refresh(subscription)
    return subscription


def update_subscription(
    session: Session, *, subscription: WebhookSubscription, changes: dict[str, Any], by_user: User | None
) -> WebhookSubscription:
    """Change a subscription's url, events or active flag (pending events go to the new url)."""
    before = _view(subscription)
    updates = {field: value for field, value in changes.items() if field in EDITABLE}
    if "events" in updates:
        updates["events"] = sorted(set(updates["events"]))
    subscription.sqlmodel_update(updates)
    after = _view(subscription)
    if after != before:
        changed = [field for field in EDITABLE if before[field] != after[field]]
        _audit(
            session,
            subscription=subscription,
            by_user=by_user,
            action="updated",
            before={field: before[field] for field in changed},
            after={field: after[field] for field in changed},
        )
    session.commit()
    session.refresh(subscription)
    return subscription


def rotate_secret(
    session: Session,
    *,
    subscription: WebhookSubscription,
    secret: str,
    grace: dt.timedelta,
    by_user: User | None,
) -> WebhookSubscription:
    """Replace the signing secret; deliveries are signed with the old one too until `grace` ends.

    A rotation during a grace period ends the earlier one: only the secret being replaced
    stays valid with the new one (two secrets at most, as receivers hold at most two).
    """
    now = utcnow()
    keep_old = grace > dt.timedelta(0)
    subscription.previous_secret = subscription.secret if keep_old else None
    subscription.previous_secret_expires_at = now + grace if keep_old else None
    subscription.secret = secret
    expires = subscription.previous_secret_expires_at
    _audit(
        session,
        subscription=subscription,
        by_user=by_user,
        action="secret_rotated",
        before=None,
        after={"previous_secret_expires_at": expires.isoformat() if expires else None},
    )
    session.commit()
    session.refresh(subscription)
    return subscription


def signing_secrets(subscription: WebhookSubscription, *, now: dt.datetime) -> list[str]:
    """Return the secrets deliveries are signed with now: the current one, then one in its grace period."""
    secrets = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and now < expires:
        secrets.append(subscription.previous_secret)
    return secrets


def list_subscription_audit(session: Session, *, subscription_id: int) -> list[ReviewAudit]:
    """List who changed a subscription, when and how, oldest first."""
    return list(
        session.exec(
            select(ReviewAudit)
            .where(ReviewAudit.entity == AUDIT_ENTITY, ReviewAudit.entity_id == subscription_id)
            .order_by(col(ReviewAudit.id))
        ).all()
    )


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    """List webhook subscriptions, oldest first."""
    return list(session.exec(select(WebhookSubscription).order_by(col(WebhookSubscription.id))).all())


def get_subscription(session: Session, *, subscription_id: int) -> WebhookSubscription | None:
    """Get a webhook subscription by id."""
    return session.get(WebhookSubscription, subscription_id)


def delete_subscription(
    session: Session, *, subscription: WebhookSubscription, by_user: User | None = None
) -> None:
    """Delete a subscription and, with it, its undelivered events."""
    _audit(
        session,
        subscription=subscription,
        by_user=by_user,
        action="deleted",
        before=_view(subscription),
        after=None,
    )
    session.exec(sa.delete(OutboxEvent).where(col(OutboxEvent.subscription_id) == subscription.id))
    session.delete(subscription)
    session.commit()


def delivery_counts(session: Session, *, subscription_id: int) -> dict[str, int]:
    """Count a subscription's events by state: pending, delivered, dead."""
    state = sa.case(
        (col(OutboxEvent.delivered_at).is_not(None), "delivered"),
        (col(OutboxEvent.next_attempt_at) == NEVER, "dead"),
        else_="pending",
    )
    rows = session.exec(
        select(state, func.count()).where(col(OutboxEvent.subscription_id) == subscription_id).group_by(state)
    ).all()
    return {"pending": 0, "delivered": 0, "dead": 0} | {str(name): int(count) for name, count in rows}


def dispatch_changes(
    session: Session,
    *,
    classify: Classify,
    build_payload: BuildPayload,
    cursor: str = DISPATCH_CURSOR,
    batch: int = 500,
) -> int:
    """Fan change events past the cursor out to matching subscriptions; return the outbox rows added."""
    position = session.exec(select(WebhookCursor.change_event_id).where(WebhookCursor.name == cursor)).first()
    if position is not None and not list_changes(session, since=position, limit=1):
        session.rollback()
        return 0  # nothing new: don't take the write lock
    # Write before reading: the row lock (PostgreSQL) or the database write lock (SQLite) makes
    # a second dispatcher wait and then see the advanced cursor, so no change is fanned out twice.
    locked = session.exec(
        update(WebhookCursor).where(col(WebhookCursor.name) == cursor).values(updated_at=utcnow())
    )
    if locked.rowcount != 1:
        session.add(WebhookCursor(name=cursor, change_event_id=0))
        session.flush()
    position = session.exec(select(WebhookCursor.change_event_id).where(WebhookCursor.name == cursor)).one()
    changes = list_changes(session, since=position, limit=batch)
    subscriptions = session.exec(select(WebhookSubscription).where(col(WebhookSubscription.active))).all()
    added = 0
    for change in changes:
        kind = classify(change)
        if kind is None:
            continue
        for subscription in subscriptions:
            if kind in subscription.events:
                event_id = uuid.uuid4()
                payload = build_payload(event_id, kind, change)
                session.add(
                    OutboxEvent(
                        event_id=event_id, subscription_id=subscription.id, type=kind, payload=payload
                    )
                )
                added += 1
    if changes:
        session.exec(
            update(WebhookCursor)
            .where(col(WebhookCursor.name) == cursor)
            .values(change_event_id=changes[-1].id)
        )
    session.commit()
    return added


def claim_due_events(session: Session, *, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[int]:
    """Lease up to `limit` due events to this deliverer; return their ids (others skip them).

    Events of a paused (inactive) subscription wait in the outbox until it is active again.
    """
    due = session.exec(
        select(OutboxEvent.id, OutboxEvent.next_attempt_at)
        .join(WebhookSubscription, col(WebhookSubscription.id) == col(OutboxEvent.subscription_id))
        .where(
            col(OutboxEvent.delivered_at).is_(None),
            col(OutboxEvent.next_attempt_at) <= now,
            col(WebhookSubscription.active),
        )
        .order_by(col(OutboxEvent.next_attempt_at), col(OutboxEvent.id))
        .limit(limit)
    ).all()
    claimed: list[int] = []
    for event_id, due_at in due:
        # Compare-and-set on next_attempt_at: of two deliverers only one moves it to the lease end.
        result = session.exec(
            update(OutboxEvent)
            .where(col(OutboxEvent.id) == event_id, col(OutboxEvent.next_attempt_at) == due_at)
            .values(next_attempt_at=now + lease)
        )
        if result.rowcount == 1 and event_id is not None:
            claimed.append(event_id)
    session.commit()
    return claimed


def get_pending_delivery(
    session: Session, *, event_id: int
) -> tuple[OutboxEvent, WebhookSubscription] | None:
    """Get an undelivered outbox event with its subscription (None when delivered or gone)."""
    row = session.exec(
        select(OutboxEvent, WebhookSubscription)
        .join(WebhookSubscription, col(WebhookSubscription.id) == col(OutboxEvent.subscription_id))
        .where(col(OutboxEvent.id) == event_id, col(OutboxEvent.delivered_at).is_(None))
    ).first()
    return (row[0], row[1]) if row is not None else None


def mark_delivered(session: Session, *, event_id: int, at: dt.datetime | None = None) -> None:
    """Record a successful delivery of the outbox event with row id `event_id`."""
    session.exec(
        update(OutboxEvent)
        .where(col(OutboxEvent.id) == event_id)
        .values(attempts=OutboxEvent.attempts + 1, delivered_at=at or utcnow(), last_error=None)
    )
    session.commit()


def mark_failed(session: Session, *, event_id: int, error: str, retry_at: dt.datetime | None) -> None:
    """Record a failed attempt: retry at `retry_at`, or give up (dead) when it is None."""
    session.exec(
        update(OutboxEvent)
        .where(col(OutboxEvent.id) == event_id, col(OutboxEvent.delivered_at).is_(None))
        .values(attempts=OutboxEvent.attempts + 1, last_error=error[:2000], next_attempt_at=retry_at or NEVER)
    )
    session.commit()


def purge_delivered_events(session: Session, *, before: dt.datetime) -> int:
    """Delete events delivered before `before`; return how many (dead ones are kept for inspection)."""
    result = session.exec(
        sa.delete(OutboxEvent).where(
            col(OutboxEvent.delivered_at).is_not(None), col(OutboxEvent.delivered_at) < before
        )
    )
    session.commit()
    return int(result.rowcount or 0)


def requeue_dead_events(session: Session, *, subscription_id: int) -> int:
    """Give a subscription's dead events a fresh set of attempts, due now; return how many."""
    result = session.exec(
        update(OutboxEvent)
        .where(
            col(OutboxEvent.subscription_id) == subscription_id,
            col(OutboxEvent.delivered_at).is_(None),
            col(OutboxEvent.next_attempt_at) == NEVER,
        )
        .values(attempts=0, next_attempt_at=utcnow())
    )
    session.commit()
    return int(result.rowcount or 0)
