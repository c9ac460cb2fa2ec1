"""Who sees what on the pages: the same rules as the JSON API (api.deps), as HTML errors."""

from __future__ import annotations

from fastapi import status
from sqlmodel import Session

from api.deps import ensure_deal_access
from api.problems import ProblemError
from api.ui.render import PageError
from models import crud
from models.enums import Role
from models.tables import Call, Deal, User


def team_of(session: Session, manager: User) -> list[User]:
    """Return the manager's direct reports: the users `can_read_deal` lets a manager see."""
    return [u for u in crud.list_team(session, manager=manager) if u.manager_id == manager.id]


def owner_scope(session: Session, user: User) -> list[int] | None:
    """Return the owners whose deals the user sees (None: everyone's)."""
    assert user.id is not None
    if user.role in (Role.LEADER, Role.REVOPS):
        return None
    if user.role is Role.MANAGER:
        return [user.id, *(u.id for u in team_of(session, user) if u.id is not None)]
    return [user.id]


def require_role(user: User, *roles: Role) -> None:
    """Refuse the page to users without one of `roles`."""
    if user.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PageError(status.HTTP_403_FORBIDDEN, f"This page is for {allowed}; you are {user.role.value}.")


def page_deal(session: Session, user: User, deal_id: int, *, write: bool = False) -> Deal:
    """Return the deal if the user may see (or change) it; a 404 or 403 page otherwise."""
    try:
        return ensure_deal_access(session, user, crud.get_deal(session, deal_id=deal_id), write=write)
    except ProblemError as exc:
        raise PageError(exc.status_code, _sentence(exc.detail)) from exc


def page_call(session: Session, user: User, call_id: int) -> tuple[Call, Deal]:
    """Return the call and its deal if the user may see the deal."""
    call = crud.get_call(session, call_id=call_id)
    if call is None or call.deal_id is None:
        raise PageError(status.HTTP_404_NOT_FOUND, "There is no such call.")
    return call, page_deal(session, user, call.deal_id)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
