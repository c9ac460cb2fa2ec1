"""Signing in to the pages with an API key: session dependency, CSRF check, sign-in and sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.config import Settings
from api.deps import SessionDep, SettingsDep
from api.ui import session as cookies
from api.ui.render import PageError, SignInRequired, render
from models import crud
from models.tables import ApiKey, User

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class PageUser:
    """The signed-in person, their session and the CSRF token their forms carry."""

    user: User
    session: cookies.PageSession
    csrf: str

    @property
    def id(self) -> int:
        """Return the user's id."""
        assert self.user.id is not None
        return self.user.id


def get_page_user(request: Request, session: SessionDep, settings: SettingsDep) -> PageUser:
    """Return the signed-in user; unsigned or stale sessions go to the sign-in page."""
    secret = cookies.load_secret(settings.data_dir)
    page_session = cookies.verify(secret, request.cookies.get(cookies.COOKIE_NAME))
    if page_session is None:
        raise SignInRequired
    api_key = session.get(ApiKey, page_session.api_key_id)
    user = session.get(User, api_key.user_id) if api_key is not None else None
    if api_key is None or api_key.revoked_at is not None or user is None or not user.active:
        raise SignInRequired
    page_user = PageUser(user=user, session=page_session, csrf=cookies.csrf_token(secret, page_session))
    request.state.page_user = page_user.user
    request.state.csrf = page_user.csrf
    return page_user


PageUserDep = Annotated[PageUser, Depends(get_page_user)]


def check_form(request: Request, page_user: PageUser, settings: Settings, token: str | None) -> None:
    """Refuse a POST whose CSRF token is not the session's or whose Origin is another site."""
    secret = cookies.load_secret(settings.data_dir)
    if not same_origin(request):
        raise PageError(status.HTTP_403_FORBIDDEN, "This form came from another site.")
    if not cookies.csrf_ok(secret, page_user.session, token):
        raise PageError(status.HTTP_403_FORBIDDEN, "The form expired; reload the page and try again.")


def same_origin(request: Request) -> bool:
    """Tell whether a POST came from our own pages (browsers send Origin with every form post)."""
    origin = request.headers.get("origin")
    return not origin or urlsplit(origin).netloc == request.headers.get("host")


def safe_next(target: str | None) -> str:
    """Return a local path to go to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str | None = None) -> HTMLResponse:
    """Show the sign-in form."""
    return render(request, "signin.html", {"next": safe_next(next), "error": None})


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Open a session for the user whose API key was pasted."""
    if not same_origin(request):  # no signing a victim in to someone else's account from another site
        raise PageError(status.HTTP_403_FORBIDDEN, "This form came from another site.")
    key = crud.get_api_key(session, key=api_key.strip())
    user = session.get(User, key.user_id) if key is not None else None
    if key is None or key.id is None or user is None or not user.active:
        context = {"next": safe_next(next), "error": "That API key is unknown or revoked."}
        return render(request, "signin.html", context, status_code=status.HTTP_401_UNAUTHORIZED)
    secret = cookies.load_secret(settings.data_dir)
    response = RedirectResponse(safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        cookies.COOKIE_NAME,
        cookies.issue(secret, key.id),
        max_age=cookies.MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/signout")
def signout(
    request: Request, page_user: PageUserDep, settings: SettingsDep, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """End the session."""
    check_form(request, page_user, settings, csrf_token)
    response = RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(cookies.COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response
