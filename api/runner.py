"""The seam where calls get processed.

`CallRunner` is all the API knows: `start`, `submit` (this call was queued), `notify` (some
call was queued) and `stop`. The embedded default runs worker threads in this process; state
lives in the database, so a restarted server picks up every call it had not finished. The
Celery runner (`api.runner_celery`, `DEALSIGNAL_RUNNER__KIND=celery`) takes this place without
touching the routes.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.engines import Engines
from api.processing import process_call
from models import crud

if TYPE_CHECKING:
    from api.config import Settings

log = logging.getLogger("dealsignal.runner")


class CallRunner(Protocol):
    def start(self) -> None: ...

    def submit(self, call_id: int) -> None: ...

    def notify(self) -> None: ...

    def stop(self) -> None: ...


@runtime_checkable
class QueueProbe(Protocol):
    """A runner with a message broker that health checks and metrics can ask."""

    broker: str

    def queue_length(self) -> int: ...


def make_runner(settings: Settings, *, engine: Engine, engines: Engines) -> CallRunner:
    """Build the runner `settings.runner.kind` names (Celery is imported only when chosen)."""
    if settings.runner.kind == "celery":
        from api.runner_celery import CeleryRunner

        return CeleryRunner(engine=engine, settings=settings)
    return InProcessRunner(
        engine=engine,
        engines=engines,
        workers=settings.runner.workers,
        poll_interval_s=settings.runner.poll_interval_s,
    )


class InProcessRunner:
    """Worker threads that claim queued calls from the database and process them."""

    def __init__(
        self, *, engine: Engine, engines: Engines, workers: int = 1, poll_interval_s: float = 0.5
    ) -> None:
        self._engine = engine
        self._engines = engines
        self._workers = workers
        self._poll_interval_s = poll_interval_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Requeue calls a previous process left unfinished, then start the workers."""
        with Session(self._engine) as session:
            requeued = crud.reset_unfinished_calls(session)
        if requeued:
            log.info("requeued %d unfinished call(s)", requeued)
        for n in range(self._workers):
            thread = threading.Thread(target=self._loop, name=f"call-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, call_id: int) -> None:  # noqa: ARG002  (workers claim from the database)
        """Wake a worker: this call was queued."""
        self.notify()

    def notify(self) -> None:
        """Wake a worker: a call was queued."""
        self._wake.set()

    def stop(self) -> None:
        """Stop taking calls and wait for the call in hand to finish."""
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=600)
        self._threads.clear()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                with Session(self._engine) as session:
                    call = crud.claim_next_call(session)
                    call_id = call.id if call is not None else None
            except Exception:  # the database may be briefly down; try again on the next tick
                log.exception("could not claim a call")
                call_id = None
            if call_id is None:
                self._wake.wait(self._poll_interval_s)
                self._wake.clear()
                continue
            process_call(call_id, engine=self._engine, engines=self._engines)
