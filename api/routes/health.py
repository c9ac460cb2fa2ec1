"""Liveness and readiness: the database always, the message broker in Celery mode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from api.deps import EngineDep
from api.runner import QueueProbe
from models.db import check_connection
from models.errors import DatabaseUnavailableError

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={503: {"description": "a dependency is down (named in the body)"}})
def healthz(request: Request, engine: EngineDep) -> JSONResponse:
    """Report whether the service, its database and (in Celery mode) its broker answer."""
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    try:
        check_connection(engine)
    except DatabaseUnavailableError as exc:
        body["database"] = str(exc)
    runner = getattr(request.app.state, "runner", None)
    if isinstance(runner, QueueProbe):
        try:
            body["broker"] = "ok"
            body["queue_length"] = runner.queue_length()
        except Exception as exc:  # any failure to reach the broker means it is down for us
            body["broker"] = str(exc)
    down = [name for name in ("database", "broker") if body.get(name, "ok") != "ok"]
    if down:
        body["status"] = "unavailable"
        body["down"] = down
        return JSONResponse(body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return JSONResponse(body)
