"""Templates, their filters, and the exceptions pages raise (rendered as HTML, not problem+json)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


# Pages load only their own script, styles and media, and may not be framed (no clickjacking of
# the review buttons); inline style attributes draw the bar charts.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class PageError(Exception):
    """A page answers with an error page: 403, 404 or 400."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


def money(value: float | Decimal | None, currency: str = "") -> str:
    """Format an amount with thousands separators and no cents."""
    if value is None:
        return "—"
    text = f"{float(value):,.0f}"
    return f"{text} {currency}".strip()


def day(value: dt.date | dt.datetime | str | None) -> str:
    """Format a date (or the date of a timestamp) as YYYY-MM-DD."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value[:10]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date().isoformat()
    return value.isoformat()


def ago(value: dt.date | dt.datetime | str | None, today: dt.date | None = None) -> str:
    """Say how long ago a date was ("today", "1 day ago", "23 days ago"; "in 3 days" ahead).

    Risk factor details name dates (a stored detail cannot count days); pages add the count.
    """
    if value is None:
        return ""
    when = dt.date.fromisoformat(day(value))
    days = ((today or dt.datetime.now(dt.UTC).date()) - when).days
    if days == 0:
        return "today"
    count = f"{abs(days)} day{'s' if abs(days) != 1 else ''}"
    return f"{count} ago" if days > 0 else f"in {count}"


def clock(seconds: float | None) -> str:
    """Format seconds as m:ss (or h:mm:ss)."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def pct(value: float | None) -> str:
    """Format a 0..1 share as a whole percentage."""
    return "—" if value is None else f"{value * 100:.0f}%"


def label(value: object) -> str:
    """Turn an identifier like `no_next_step` into `No next step`."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


templates.env.filters.update(money=money, day=day, ago=ago, clock=clock, pct=pct, label=label)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a template with the signed-in user and CSRF token available to it."""
    base = {
        "me": getattr(request.state, "page_user", None),
        "csrf": getattr(request.state, "csrf", ""),
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response
