"""`dealsignal worker`: a Celery worker that processes calls; run one or more per machine.

Each worker process opens its own database engine and loads the models once, before its
first call (at start for the solo and threads pools, in `worker_process_init` for each
prefork child). Threads per call come from `DEALSIGNAL_TRANSCRIBE__CPU_THREADS` (or
`--threads`), so several workers can share a machine's cores without oversubscribing them.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from celery.signals import worker_process_init, worker_ready

from api.config import Settings, get_settings
from api.engines import Engines
from api.runner_celery import (
    DEFAULT_LEASE_S,
    Sweeper,
    WorkerContext,
    celery_app,
    configure,
    lease_seconds,
    set_worker_context,
)
from models.db import check_connection, make_engine

log = logging.getLogger("dealsignal.worker")

POOLS = ("solo", "prefork", "threads")

# The worker's settings, chosen by `run_worker` before the pool starts (prefork children inherit them).
_chosen: dict[str, Any] = {}


def worker_settings(settings: Settings, *, threads: int | None, lease_s: float | None) -> Settings:
    """Return the settings with the CLI's overrides applied."""
    if threads is not None:
        transcribe = settings.transcribe.model_copy(update={"cpu_threads": threads})
        settings = settings.model_copy(update={"transcribe": transcribe})
    if lease_s is not None:
        _chosen["lease_s"] = lease_s
    return settings


def build_context(settings: Settings | None = None) -> WorkerContext:
    """Open the database and load the models for this process (once)."""
    settings = settings or _chosen.get("settings") or get_settings()
    threads = str(settings.transcribe.cpu_threads)
    os.environ.setdefault("OMP_NUM_THREADS", threads)
    os.environ.setdefault("MKL_NUM_THREADS", threads)
    torch = sys.modules.get("torch")  # already imported with the extract stage; never import it here
    if torch is not None:
        torch.set_num_threads(settings.transcribe.cpu_threads)  # the encoder shares the cores too
    engine = make_engine(settings.resolved_database_url)
    engines = Engines(settings)
    engines.analyzer()  # load now, not on the first call: every call then costs the same
    engines.transcriber()
    lease_s = float(_chosen.get("lease_s") or lease_seconds(settings))
    log.info("worker process %d ready: %s threads per call, lease %.0f s", os.getpid(), threads, lease_s)
    return WorkerContext(settings=settings, engine=engine, engines=engines, lease_s=lease_s)


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _init_prefork_child(**_: Any) -> None:
    set_worker_context(build_context())


def run_worker(
    settings: Settings,
    *,
    concurrency: int = 1,
    pool: str | None = None,
    threads: int | None = None,
    lease_s: float | None = None,
    metrics_port: int | None = None,
    loglevel: str = "INFO",
) -> None:
    """Start a Celery worker on the settings' broker and queue; return when it shuts down."""
    settings = worker_settings(settings, threads=threads, lease_s=lease_s)
    pool = pool or ("solo" if concurrency == 1 else "prefork")
    if pool not in POOLS:
        raise ValueError(f"--pool must be one of {', '.join(POOLS)}")
    _chosen["settings"] = settings
    app = configure(settings)
    lease = float(lease_s or lease_seconds(settings) or DEFAULT_LEASE_S)
    engine = make_engine(settings.resolved_database_url)
    check_connection(engine)
    sweeper = Sweeper(app, engine, queue=settings.runner.queue, lease_s=lease)
    if pool != "prefork":  # one process: load the models here, once
        set_worker_context(build_context(settings))
    if metrics_port is not None:
        serve_metrics(metrics_port)
    # Start sweeping once the pool is up: a prefork pool must not fork while the sweeper holds locks.
    worker_ready.connect(lambda **_: sweeper.start(), weak=False)
    argv = [
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--queues={settings.runner.queue}",
        f"--loglevel={loglevel}",
        f"--hostname=dealsignal-{os.getpid()}@{socket.gethostname()}",
        "--without-mingle",
        "--without-gossip",
    ]
    try:
        app.worker_main(argv)
    finally:
        sweeper.stop()


def serve_metrics(port: int) -> None:
    """Serve this worker's stage-duration histograms on http://0.0.0.0:port/metrics."""
    from api.routes.metrics import CONTENT_TYPE, STAGE_SECONDS

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (the http.server name)
            body = ("\n".join(STAGE_SECONDS.render()) + "\n").encode()
            self.send_response(200 if self.path.startswith("/metrics") else 404)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104  (scraped from other hosts)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()


__all__ = ["celery_app", "run_worker"]
