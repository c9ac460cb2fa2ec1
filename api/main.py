"""The FastAPI application: settings, database, models and the call runner live for its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.config import Settings, get_settings
from api.engines import Engines
from api.gctuning import tune_for_server
from api.problems import install_problem_handlers
from api.ratelimit import install_rate_limit
from api.read_cache import ReadCaches
from api.routes import (
    calls,
    changes,
    crm,
    deals,
    health,
    inspection,
    metrics,
    next_steps,
    review_items,
    webhooks,
)
from api.routes import (
    settings as settings_routes,
)
from api.runner import make_runner
from api.scheduler import PeriodicRescorer
from api.ui import pages
from api.webhooks import WebhookService
from models.db import make_engine, migrate

API_DESCRIPTION = """
DealSignal listens to sales calls and keeps deals honest: next steps, stakeholders,
objections and an explainable risk score, from what buyers actually said.

Authenticate with `Authorization: Bearer <api key>` (create keys with `dealsignal users create`).
Errors are `application/problem+json`.
"""


def create_served_app() -> FastAPI:
    """The app as `dealsignal serve` runs it (one per process, so the heap can be frozen)."""
    return create_app(freeze_gc=True)


def create_app(
    settings: Settings | None = None, *, engines: Engines | None = None, freeze_gc: bool = False
) -> FastAPI:
    """Build the application; `dealsignal serve` runs it under uvicorn.

    Args:
        settings: the configuration (read from the environment when absent).
        engines: already loaded models to share (tests pass one set to many apps).
        freeze_gc: move everything alive after startup out of the collector's reach (servers only:
            frozen objects are never freed, so apps built and dropped by tests must not).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        migrate(engine)
        models = engines or Engines(settings)
        runner = make_runner(settings, engine=engine, engines=models)  # settings.runner.kind
        app.state.settings = settings
        app.state.engine = engine
        app.state.engines = models
        app.state.runner = runner
        webhooks = WebhookService.from_settings(engine, settings.webhooks)
        app.state.webhooks = webhooks
        rescorer = PeriodicRescorer(engine, interval_s=settings.runner.rescore_interval_s)
        runner.start()
        webhooks.start()
        rescorer.start()
        if freeze_gc:
            # Without this every full collection scans torch's and spaCy's objects and pauses a
            # request for 300-600 ms (p95 of the review queue 288 -> 67 ms); see api.gctuning.
            tune_for_server()
        try:
            yield
        finally:
            rescorer.stop()
            webhooks.stop()
            runner.stop()
            engine.dispose()

    app = FastAPI(
        title="DealSignal",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    # One set of caches per app: apps on other databases (tests build many) never share entries.
    app.state.read_caches = ReadCaches.from_settings(settings.read_cache)
    install_problem_handlers(app)
    install_rate_limit(app, settings.rate_limit)
    routers = (health, metrics, calls, deals, crm, next_steps, review_items, inspection, changes, webhooks)
    for module in (*routers, settings_routes):
        app.include_router(module.router)
    pages.mount(app)
    return app
