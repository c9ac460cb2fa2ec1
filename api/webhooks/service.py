"""The webhook background thread: fan change events out to the outbox, then deliver due events.

Both steps keep their state in the database (the dispatcher's cursor, each event's attempts,
next attempt time and delivery time), so stopping at any point loses nothing: a new service
picks up where the old one left off. Delivery is at least once; receivers dedupe on the event id.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from api.webhooks.delivery import Outcome, RetryPolicy, attempt
from api.webhooks.events import event_payload, event_type
from api.webhooks.targets import GuardedTransport, TargetPolicy
from models.crud import webhooks as store
from models.sqltypes import utcnow

log = logging.getLogger("dealsignal.webhooks")
PURGE_EVERY_S = 3600.0


class WebhookSettings(BaseModel):
    """Settings shape for `Settings.webhooks` (env WEBHOOKS__POLL_INTERVAL_S and so on)."""

    poll_interval_s: float = Field(default=1.0, gt=0)
    backoff_base_s: float = Field(default=10.0, gt=0)
    backoff_cap_s: float = Field(default=3600.0, gt=0)
    max_attempts: int = Field(default=10, ge=1)
    timeout_s: float = Field(default=5.0, gt=0)
    workers: int = Field(default=4, ge=1)
    retention_days: float = Field(default=7.0, ge=0)
    # Receivers on loopback or private networks (tests, on-premises CRMs); off, they are refused.
    allow_private_targets: bool = False
    require_https: bool = True  # for public targets; private ones (when allowed) may use http
    secret_grace_s: float = Field(default=86400.0, ge=0)  # default overlap after a secret rotation

    def target_policy(self) -> TargetPolicy:
        """Return what subscription URLs may point at."""
        return TargetPolicy(allow_private=self.allow_private_targets, require_https=self.require_https)


class WebhookService:
    """Started and stopped with the app; delivers outbox events to RevOps' subscriptions."""

    def __init__(
        self,
        engine: Engine,
        *,
        poll_interval_s: float = 1.0,
        backoff_base_s: float = 10.0,
        backoff_cap_s: float = 3600.0,
        max_attempts: int = 10,
        timeout_s: float = 5.0,
        workers: int = 4,
        batch: int = 100,
        retention: dt.timedelta = dt.timedelta(days=7),
        transport: httpx.BaseTransport | None = None,
        allow_private_targets: bool = False,
    ) -> None:
        self._engine = engine
        self.poll_interval_s = poll_interval_s
        self.policy = RetryPolicy(base_s=backoff_base_s, cap_s=backoff_cap_s, max_attempts=max_attempts)
        self._timeout_s = timeout_s
        self._workers = max(1, workers)
        self._batch = batch
        # A claimed event is skipped by other deliverers until its lease ends (a crash mid-send
        # therefore delays that event by the lease, and never loses it).
        self._lease = dt.timedelta(seconds=timeout_s * 2 + 5)
        self._transport = transport
        self._allow_private_targets = allow_private_targets
        self._retention = retention
        self._next_purge = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def from_settings(cls, engine: Engine, settings: WebhookSettings) -> WebhookService:
        """Build the service from `Settings.webhooks`."""
        return cls(
            engine,
            poll_interval_s=settings.poll_interval_s,
            backoff_base_s=settings.backoff_base_s,
            backoff_cap_s=settings.backoff_cap_s,
            max_attempts=settings.max_attempts,
            timeout_s=settings.timeout_s,
            workers=settings.workers,
            retention=dt.timedelta(days=settings.retention_days),
            allow_private_targets=settings.allow_private_targets,
        )

    def start(self) -> None:
        """Start delivering."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._client = httpx.Client(
            timeout=self._timeout_s, transport=self._new_transport(), follow_redirects=False
        )
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="webhook-send")
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop delivering; undelivered events stay in the outbox."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout_s + 10)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def run_once(self) -> int:
        """Dispatch new changes and deliver the events due now; return how many were attempted."""
        with Session(self._engine) as session:
            store.dispatch_changes(session, classify=event_type, build_payload=event_payload)
            due = store.claim_due_events(session, now=utcnow(), lease=self._lease, limit=self._batch)
        if not due:
            return 0
        if self._client is not None and self._pool is not None:
            client, pool = self._client, self._pool
            for future in [pool.submit(self._deliver, client, event_id) for event_id in due]:
                future.result()
            return len(due)
        with httpx.Client(timeout=self._timeout_s, transport=self._new_transport()) as client:  # not started
            for event_id in due:
                self._deliver(client, event_id)
        return len(due)

    def _new_transport(self) -> httpx.BaseTransport:
        # Without an injected transport, every connection goes through the address guard.
        return self._transport or GuardedTransport(allow_private=self._allow_private_targets)

    def purge(self) -> int:
        """Delete events delivered longer ago than the retention; return how many."""
        with Session(self._engine) as session:
            return store.purge_delivered_events(session, before=utcnow() - self._retention)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() >= self._next_purge:
                    self._next_purge = time.monotonic() + PURGE_EVERY_S
                    self.purge()
                busy = self.run_once()
            except SQLAlchemyError as exc:
                log.warning("webhooks: database error, retrying in %.1f s: %s", self.poll_interval_s, exc)
                busy = 0
            except Exception:
                log.exception("webhooks: unexpected error")
                busy = 0
            if not busy:
                self._stop.wait(self.poll_interval_s)

    def _deliver(self, client: httpx.Client, event_row_id: int) -> None:
        with Session(self._engine) as session:
            pending = store.get_pending_delivery(session, event_id=event_row_id)
            if pending is None:
                return
            event, subscription = pending
            url, secrets, payload, attempts = (
                subscription.url,
                store.signing_secrets(subscription, now=utcnow()),
                event.payload,
                event.attempts,
            )
            session.rollback()  # hold no transaction open while waiting on the receiver
            outcome = attempt(
                client,
                url=url,
                secrets=secrets,
                payload=payload,
                attempts_so_far=attempts,
                policy=self.policy,
            )
            try:
                self._record(session, event_row_id, outcome)
            except SQLAlchemyError as exc:  # e.g. the subscription was deleted meanwhile
                log.warning("webhooks: could not record delivery of event %s: %s", event_row_id, exc)

    def _record(self, session: Session, event_row_id: int, outcome: Outcome) -> None:
        if outcome.delivered:
            store.mark_delivered(session, event_id=event_row_id)
            return
        retry_at = None
        if outcome.retry_in_s is not None:
            retry_at = utcnow() + dt.timedelta(seconds=outcome.retry_in_s)
        else:
            log.warning("webhooks: event %s is dead: %s", event_row_id, outcome.error)
        store.mark_failed(session, event_id=event_row_id, error=outcome.error or "failed", retry_at=retry_at)
