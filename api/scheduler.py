"""Periodic re-scoring: risk moves with time alone (buyer silence grows, next steps fall due)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.flows import rescore_pipeline

log = logging.getLogger("dealsignal.scheduler")


class PeriodicRescorer:
    """Re-scores every deal once per interval in a background thread (0 disables it)."""

    def __init__(self, engine: Engine, *, interval_s: float) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the schedule; the first run comes after one interval (startup stays fast)."""
        if self._interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="rescorer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the run in progress, if any."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval_s):
            try:
                with Session(self._engine) as session:
                    report = rescore_pipeline(session)
                log.info(
                    "re-scored %d deals (%d changed) in %.1f s", report.deals, report.changed, report.seconds
                )
            except Exception:  # the next interval tries again; a failed run must not end the schedule
                log.exception("periodic re-scoring failed")
