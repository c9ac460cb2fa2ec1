"""Periodic re-scoring: risk moves with time alone (buyer silence grows, next steps fall due).

Each run re-scores only the deals whose stored risk is due (`deals.risk_fresh_until` has come,
or is unknown); every `full_every` runs it re-scores every deal, which repairs a score left
stale by a write whose own re-score never ran (a crash between the two commits).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.flows import rescore_pipeline

log = logging.getLogger("dealsignal.scheduler")
FULL_EVERY = 24  # hourly runs: a full sweep once a day


class PeriodicRescorer:
    """Re-scores due deals once per interval in a background thread (0 disables it)."""

    def __init__(self, engine: Engine, *, interval_s: float, full_every: int = FULL_EVERY) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._full_every = max(1, full_every)
        self._runs = 0
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

    def run_once(self) -> None:
        """Re-score the due deals (every deal on each `full_every`-th run)."""
        self._runs += 1
        full = self._runs % self._full_every == 0
        with Session(self._engine) as session:
            report = rescore_pipeline(session, due_only=not full)
        log.info(
            "re-scored %d %sdeals (%d changed) in %.1f s",
            report.deals,
            "" if full else "due ",
            report.changed,
            report.seconds,
        )

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval_s):
            try:
                self.run_once()
            except Exception:  # the next interval tries again; a failed run must not end the schedule
                log.exception("periodic re-scoring failed")
