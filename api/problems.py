"""Errors as `application/problem+json` (RFC 9457): one handler per error family.

Only this module maps stage errors to HTTP statuses.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from extract.errors import ExtractError
from models.errors import DatabaseUnavailableError, NotFoundError, VersionConflictError
from transcribe.errors import AudioTooLongError, TranscribeError

log = logging.getLogger("dealsignal.api")
PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """An error the API answers with a given status and, optionally, extra members."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.title = title
        self.headers = headers
        self.extra = extra


def problem(
    status_code: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build a problem+json response."""
    from http import HTTPStatus

    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "errors": errors or [],
        **extra,
    }
    return JSONResponse(
        jsonable_encoder(body), status_code=status_code, media_type=PROBLEM_JSON, headers=headers
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))} for error in exc.errors()]


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"])
        return problem(422, f"{where}: {first['msg']}", title="Invalid request", errors=errors)

    @app.exception_handler(ProblemError)
    async def problem_error(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status_code, exc.detail, title=exc.title, headers=exc.headers, **exc.extra)

    @app.exception_handler(AudioTooLongError)
    async def too_long(_: Request, exc: AudioTooLongError) -> JSONResponse:
        return problem(status.HTTP_413_CONTENT_TOO_LARGE, str(exc), title="Recording too long")

    @app.exception_handler(TranscribeError)
    async def bad_call_file(_: Request, exc: TranscribeError) -> JSONResponse:
        return problem(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc), title="Unreadable call file")

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return problem(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc), title="Unknown reference")

    @app.exception_handler(VersionConflictError)
    async def stale(_: Request, exc: VersionConflictError) -> JSONResponse:
        return problem(status.HTTP_412_PRECONDITION_FAILED, str(exc), title="Stale version")

    @app.exception_handler(DatabaseUnavailableError)
    async def db_down(_: Request, exc: DatabaseUnavailableError) -> JSONResponse:
        return problem(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "5"})

    @app.exception_handler(OperationalError)
    async def db_error(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database error: %s", exc)
        return problem(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the database is unavailable", headers={"Retry-After": "5"}
        )

    @app.exception_handler(ExtractError)
    async def model_error(_: Request, exc: ExtractError) -> JSONResponse:
        return problem(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "internal error; the request was not applied")
