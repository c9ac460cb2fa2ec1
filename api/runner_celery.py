"""Calls processed by Celery workers on any number of machines (`DEALSIGNAL_RUNNER__KIND=celery`).

The API enqueues a call's id (`CeleryRunner.submit`); a worker (`dealsignal worker`) claims
the call's lease in the database and runs the same `process_call` as the embedded runner.
The database stays the source of truth, so the broker may lose messages without losing calls:

- a message delivered twice, or a retry, finds the call done (or leased) and does nothing;
- a worker killed mid-call stops renewing its lease; a sweeper (in every worker and in the
  API) requeues the call once the lease expires and publishes it again;
- a broker restart that drops its queue is repaired by the sweeper republishing calls that
  sat queued longer than a lease while the broker queue is empty.

Transient faults (database or broker down) retry with exponential backoff; bad input fails
the call with its reason (process_call does that) and is never retried.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from celery import Celery, Task
from kombu.exceptions import OperationalError as BrokerOperationalError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.config import Settings
from api.engines import Engines
from models.crud import leases
from models.errors import DatabaseUnavailableError

log = logging.getLogger("dealsignal.celery")

TASK_NAME = "dealsignal.process_call"
DEFAULT_LEASE_S = 60.0  # a worker renews every lease/4; a silent one loses the call after this long
MAX_ATTEMPTS = 3  # a call that kills its worker this many times is failed, not retried forever
VISIBILITY_SAFETY = 1.5  # Redis redelivers an unacknowledged message after max_duration_s x this
MAX_RETRIES = 10
TRANSIENT: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    DatabaseUnavailableError,
    BrokerOperationalError,
    ConnectionError,
    TimeoutError,
)

celery_app = Celery("dealsignal", set_as_current=False)


class BrokerUnavailableError(Exception):
    """The message broker cannot be reached."""


def lease_seconds(settings: Settings) -> float:
    """Return the lease length (RunnerSettings.lease_s when the settings have it)."""
    return float(getattr(settings.runner, "lease_s", DEFAULT_LEASE_S))


def celery_config(settings: Settings) -> dict[str, Any]:
    """Return the Celery configuration for these settings (Redis or RabbitMQ by URL alone)."""
    runner = settings.runner
    visibility = int(settings.transcribe.max_duration_s * VISIBILITY_SAFETY)
    return {
        "broker_url": runner.broker_url,
        "task_default_queue": runner.queue,
        "task_routes": {TASK_NAME: {"queue": runner.queue}},
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "task_acks_late": True,  # ack after the call is stored: a crash redelivers it
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,  # a worker holds one call at a time; the rest stay shareable
        "worker_cancel_long_running_tasks_on_connection_loss": False,  # the DB lease keeps it safe
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "broker_connection_timeout": 4.0,
        "broker_transport_options": {
            "visibility_timeout": visibility,  # Redis: longer than the longest allowed call
            "socket_connect_timeout": 4,
            "socket_timeout": 30,
            "retry_on_timeout": True,
        },
        "broker_heartbeat": 0,  # a solo worker busy on a long call cannot answer AMQP heartbeats
    }


def configure(settings: Settings) -> Celery:
    """Point the process's Celery app at the settings' broker and queue."""
    celery_app.conf.update(celery_config(settings))
    return celery_app


@dataclass
class WorkerContext:
    """What a worker process needs: one database engine and one set of models, loaded once."""

    settings: Settings
    engine: Engine
    engines: Engines
    lease_s: float


_context: dict[str, WorkerContext] = {}


def set_worker_context(context: WorkerContext) -> None:
    """Install the process's worker context (api.worker does this once per process)."""
    _context["current"] = context


def worker_context() -> WorkerContext:
    """Return the process's worker context, building it from the environment on first use."""
    if "current" not in _context:
        from api.worker import build_context

        set_worker_context(build_context())
    return _context["current"]


def backoff_s(retries: int) -> float:
    """Exponential backoff with jitter: about 1, 2, 4 ... 60 seconds."""
    return float(min(60.0, 2.0**retries) * random.uniform(0.75, 1.25))


@celery_app.task(  # type: ignore[untyped-decorator]
    bind=True,
    name=TASK_NAME,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def process_call_task(self: Task[Any, Any], call_id: int, token: int | None = None) -> str:
    """Claim a call's lease and process it; a duplicate or a finished call is a no-op."""
    ctx = worker_context()
    try:
        with Session(ctx.engine) as session:
            claim = leases.claim_call(
                session, call_id=call_id, lease_s=ctx.lease_s, max_attempts=MAX_ATTEMPTS, resume_token=token
            )
    except TRANSIENT as exc:
        raise self.retry(exc=exc, countdown=backoff_s(self.request.retries)) from exc
    if claim.outcome is leases.ClaimOutcome.BUSY and self.request.retries < MAX_RETRIES:
        # Another worker's lease is live (or a killed one's has not expired yet): look again after it.
        # Past the retries the sweeper still has the call covered, should its holder die.
        raise self.retry(countdown=claim.wait_s + 1.0)
    if claim.outcome is not leases.ClaimOutcome.CLAIMED:
        log.info("call %s: %s, nothing to do", call_id, claim.outcome)
        return str(claim.outcome)
    log.info("call %s: claimed with lease %s by pid %d", call_id, claim.token, os.getpid())
    try:
        _process_leased(ctx, call_id, claim.token)
    except TRANSIENT as exc:
        log.warning("call %s: transient fault, retrying: %s", call_id, exc)
        countdown = backoff_s(self.request.retries)
        raise self.retry(
            exc=exc, countdown=countdown, args=(call_id,), kwargs={"token": claim.token}
        ) from exc
    return "processed"


def _process_leased(ctx: WorkerContext, call_id: int, token: int) -> None:
    from api.processing import process_call

    heartbeat = LeaseHeartbeat(ctx.engine, call_id=call_id, token=token, every_s=ctx.lease_s / 4)
    heartbeat.start()
    try:
        process_call(call_id, engine=ctx.engine, engines=ctx.engines, token=token)
    finally:
        heartbeat.stop()


class LeaseHeartbeat:
    """Renews a call's lease in the background while the worker processes it."""

    def __init__(self, engine: Engine, *, call_id: int, token: int, every_s: float) -> None:
        self._engine, self._call_id, self._token, self._every_s = engine, call_id, token, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{call_id}", daemon=True)
        self.lost = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                with Session(self._engine) as session:
                    held = leases.renew_lease(session, call_id=self._call_id, token=self._token)
            except Exception as exc:  # the database may be down for a moment; keep trying
                log.warning("call %s: cannot renew the lease: %s", self._call_id, exc)
                continue
            if not held and not self._stop.is_set():
                self.lost = True
                log.warning("call %s: lease %s lost to another worker", self._call_id, self._token)
                return


def publish(app: Celery, call_id: int) -> None:
    """Enqueue a call id, retrying the broker briefly; raise BrokerUnavailableError when it is down."""
    policy = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}
    try:
        app.send_task(TASK_NAME, args=(call_id,), retry=True, retry_policy=policy)
    except Exception as exc:
        raise BrokerUnavailableError(f"cannot enqueue call {call_id}: {exc}") from exc


def broker_queue_length(app: Celery, queue: str) -> int:
    """Return how many messages wait in the broker queue; raise BrokerUnavailableError when down."""
    from kombu.exceptions import ChannelError

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=4)
            try:
                declared = connection.default_channel.queue_declare(queue=queue, passive=True)
            except ChannelError:  # Redis drops an empty list, so an empty queue does not exist
                return 0
            return int(declared.message_count)
    except Exception as exc:
        raise BrokerUnavailableError(f"broker at {_safe(app)} unavailable: {exc}") from exc


def _safe(app: Celery) -> str:
    with app.connection_for_write() as connection:
        return str(connection.as_uri())


class Sweeper:
    """Requeues calls whose lease expired and republishes calls the broker lost, every few seconds."""

    def __init__(self, app: Celery, engine: Engine, *, queue: str, lease_s: float) -> None:
        self._app, self._engine, self._queue, self._lease_s = app, engine, queue, lease_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Sweep now and then every half lease, in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="lease-sweeper", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Sweep soon."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.sweep()
            except Exception as exc:  # database or broker down: the next sweep tries again
                log.warning("sweep failed: %s", exc)
            self._wake.wait(max(1.0, self._lease_s / 2))
            self._wake.clear()

    def sweep(self) -> list[int]:
        """Requeue expired leases and republish lost messages; return the call ids published."""
        with Session(self._engine) as session:
            ids = leases.requeue_expired_calls(session, lease_s=self._lease_s, max_attempts=MAX_ATTEMPTS)
        if ids:
            log.warning("requeued %d call(s) whose worker stopped renewing: %s", len(ids), ids)
        if broker_queue_length(self._app, self._queue) == 0:
            with Session(self._engine) as session:
                stale = leases.take_stale_queued_calls(session, older_than_s=self._lease_s)
            ids = sorted(set(ids) | set(stale))
        for call_id in ids:
            publish(self._app, call_id)
        return ids


class CeleryRunner:
    """The API side of the Celery mode: enqueue call ids, keep the sweeper running."""

    def __init__(self, *, engine: Engine, settings: Settings) -> None:
        self.settings = settings
        self.app = configure(settings)
        self.broker = settings.runner.broker_url
        self._sweeper = Sweeper(
            self.app, engine, queue=settings.runner.queue, lease_s=lease_seconds(settings)
        )

    def start(self) -> None:
        """Start the sweeper (it also recovers calls queued while the API was down)."""
        self._sweeper.start()

    def submit(self, call_id: int) -> None:
        """Enqueue a queued call; if the broker is down the sweeper publishes it later."""
        try:
            publish(self.app, call_id)
        except BrokerUnavailableError as exc:
            log.warning("%s; the sweeper will publish it when the broker is back", exc)

    def notify(self) -> None:
        """A call was queued without its id: let the sweeper find it."""
        self._sweeper.wake()

    def queue_length(self) -> int:
        """Return the broker queue's length (raises BrokerUnavailableError)."""
        return broker_queue_length(self.app, self.settings.runner.queue)

    def stop(self) -> None:
        self._sweeper.stop()
