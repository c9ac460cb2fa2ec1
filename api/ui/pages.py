"""Web pages: sign-in, the review queue, deal and call pages, team inspection and the forecast.

Server-rendered with Jinja2 from the same crud functions as the JSON routes (plus the set-based
reads in `models.crud.pages`); a little vanilla JavaScript enhances the forms.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.ui import auth, deals, forecast, review, team
from api.ui.cache import PerDealCache, VersionedCache
from api.ui.render import HERE, PageError, SignInRequired, render

ROUTERS = (auth.router, review.router, deals.router, team.router, forecast.router)


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    context = {"status": exc.status_code, "message": exc.message}
    return render(request, "error.html", context, status_code=exc.status_code)


async def _sign_in(request: Request, _exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/"
    return RedirectResponse(f"/signin?next={quote(target)}", status_code=status.HTTP_303_SEE_OTHER)


def mount(app: FastAPI) -> None:
    """Add the pages and their static files to the app."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.ui_cache = VersionedCache()
    app.state.ui_deals = PerDealCache()
    app.add_exception_handler(PageError, _page_error)
    app.add_exception_handler(SignInRequired, _sign_in)
