"""Prometheus metrics in the text exposition format (no client library needed).

Counts come from the database, so every API replica reports the same totals whichever
machine processed the calls: calls by status (queued = the queue depth), and a histogram of
upload-to-done seconds. In Celery mode the broker queue's length is added. Per-stage
durations (transcribe, analyze, store) are measured where the work happens: by the API in
the embedded mode, and by each worker's own endpoint (`dealsignal worker --metrics-port`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from api.deps import EngineDep
from api.processing import STAGE_OBSERVERS
from api.runner import QueueProbe
from models.crud import leases

router = APIRouter(tags=["health"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STAGE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
CALL_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0)


class StageHistogram:
    """A thread-safe Prometheus histogram of seconds, labelled by pipeline stage."""

    def __init__(self, name: str, help_text: str, bounds: tuple[float, ...]) -> None:
        self.name, self.help_text, self.bounds = name, help_text, bounds
        self._lock = threading.Lock()
        self._counts: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def observe(self, stage: str, seconds: float) -> None:
        """Record one duration."""
        with self._lock:
            counts = self._counts.setdefault(stage, [0] * (len(self.bounds) + 1))
            for i, bound in enumerate((*self.bounds, math.inf)):
                if seconds <= bound:
                    counts[i] += 1
            self._sums[stage] = self._sums.get(stage, 0.0) + seconds

    def render(self) -> list[str]:
        """Return the exposition lines."""
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} histogram"]
        with self._lock:
            for stage, counts in sorted(self._counts.items()):
                for bound, count in zip((*self.bounds, math.inf), counts, strict=True):
                    le = "+Inf" if bound == math.inf else _num(bound)
                    lines.append(f'{self.name}_bucket{{stage="{stage}",le="{le}"}} {count}')
                lines.append(f'{self.name}_sum{{stage="{stage}"}} {_num(self._sums[stage])}')
                lines.append(f'{self.name}_count{{stage="{stage}"}} {counts[-1]}')
        return lines


STAGE_SECONDS = StageHistogram(
    "dealsignal_stage_duration_seconds", "Seconds spent per pipeline stage in this process.", STAGE_BUCKETS
)
STAGE_OBSERVERS.append(STAGE_SECONDS.observe)


def _num(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else f"{value:.1f}"


def _gauge(name: str, help_text: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{labels} {_num(value)}" for labels, value in samples]
    return lines


def database_metrics(session: Session) -> list[str]:
    """Return the calls-by-status gauges and the upload-to-done histogram, from the database."""
    counts = leases.count_calls_by_status(session)
    lines = _gauge(
        "dealsignal_calls",
        "Calls by status (queued is the queue depth; done and failed only grow).",
        [(f'{{status="{status}"}}', n) for status, n in counts.items()],
    )
    lines += _gauge(
        "dealsignal_queue_depth", "Calls waiting in the database queue.", [("", counts["queued"])]
    )
    for status in ("done", "failed"):
        name = f"dealsignal_calls_{'processed' if status == 'done' else 'failed'}_total"
        lines += [
            f"# HELP {name} Calls {status} so far.",
            f"# TYPE {name} counter",
            f"{name} {counts[status]}",
        ]
    buckets, total, count = leases.processing_seconds_buckets(session, bounds=CALL_BUCKETS)
    name = "dealsignal_call_processing_seconds"
    lines += [f"# HELP {name} Seconds from upload to done, per call.", f"# TYPE {name} histogram"]
    lines += [f'{name}_bucket{{le="{_num(b)}"}} {n}' for b, n in zip(CALL_BUCKETS, buckets, strict=True)]
    lines += [f'{name}_bucket{{le="+Inf"}} {count}', f"{name}_sum {_num(total)}", f"{name}_count {count}"]
    return lines


def broker_metrics(runner: object) -> list[str]:
    """Return the broker queue length and whether the broker answers (Celery mode only)."""
    if not isinstance(runner, QueueProbe):
        return []
    try:
        length, up = float(runner.queue_length()), 1.0
    except Exception:  # reported as down; /healthz says why
        length, up = math.nan, 0.0
    lines = _gauge("dealsignal_broker_queue_length", "Messages waiting in the broker queue.", [("", length)])
    return lines + _gauge("dealsignal_broker_up", "1 when the broker answers.", [("", up)])


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request, engine: EngineDep) -> PlainTextResponse:
    """Report queue depth, call counts and stage durations for Prometheus."""
    with Session(engine) as session:
        lines = database_metrics(session)
    lines += broker_metrics(getattr(request.app.state, "runner", None))
    lines += STAGE_SECONDS.render()
    return PlainTextResponse("\n".join(lines) + "\n", media_type=CONTENT_TYPE)
