"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from api.deps import EngineDep
from models.db import check_connection
from models.errors import DatabaseUnavailableError

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={503: {"description": "a dependency is down"}})
def healthz(engine: EngineDep) -> JSONResponse:
    """Report whether the service and its database answer."""
    try:
        check_connection(engine)
    except DatabaseUnavailableError as exc:
        return JSONResponse(
            {"status": "unavailable", "database": str(exc)}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE
        )
    return JSONResponse({"status": "ok", "database": "ok"})
