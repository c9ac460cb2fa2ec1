"""Request dependencies: settings, database session, the caller and their role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.config import Settings
from api.engines import Engines
from api.problems import ProblemError
from models import crud
from models.enums import Role
from models.tables import Deal, User


def get_app_settings(request: Request) -> Settings:
    """Return the settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """Return the app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def get_engines(request: Request) -> Engines:
    """Return the app's models."""
    engines: Engines = request.app.state.engines
    return engines


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# Row ids are 64-bit: a larger number cannot name a row, and SQLite cannot even bind it.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="row id")]
EngineDep = Annotated[Engine, Depends(get_engine)]
EnginesDep = Annotated[Engines, Depends(get_engines)]


def get_db(engine: EngineDep) -> Iterator[Session]:
    """Yield a session for one request."""
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
_bearer = HTTPBearer(auto_error=False, description="An API key from `dealsignal users create`.")


def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Return the user whose API key the request carries; 401 without a valid one."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            status.HTTP_401_UNAUTHORIZED,
            "an API key is required (Authorization: Bearer <key>)",
            headers=challenge,
        )
    api_key = crud.get_api_key(session, key=credentials.credentials)
    user = session.get(User, api_key.user_id) if api_key is not None else None
    if api_key is None or user is None or not user.active:
        raise ProblemError(
            status.HTTP_401_UNAUTHORIZED, "the API key is unknown or revoked", headers=challenge
        )
    request.state.api_key_id = api_key.id  # Idempotency-Key records are scoped to the key
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    """Build a dependency that admits only users with one of `roles`."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ProblemError(
                status.HTTP_403_FORBIDDEN, f"this needs the role {allowed}; you are {user.role.value}"
            )
        return user

    return check


RevOpsUser = Annotated[User, Depends(require_roles(Role.REVOPS))]


def can_read_deal(session: Session, user: User, deal: Deal) -> bool:
    """Tell whether `user` may see `deal`: own deals, the team's, or all for leaders and RevOps."""
    if user.role in (Role.LEADER, Role.REVOPS) or deal.owner_id == user.id:
        return True
    if user.role is Role.MANAGER:
        owner = session.get(User, deal.owner_id)
        return owner is not None and owner.manager_id == user.id
    return False


def can_write_deal(session: Session, user: User, deal: Deal) -> bool:
    """Tell whether `user` may change `deal`: reps their own, managers their team's, RevOps all."""
    if user.role is Role.LEADER:
        return False
    return can_read_deal(session, user, deal)


def ensure_deal_access(session: Session, user: User, deal: Deal | None, *, write: bool = False) -> Deal:
    """Return the deal or raise 404 (absent) / 403 (not the caller's)."""
    if deal is None:
        raise ProblemError(status.HTTP_404_NOT_FOUND, "no such deal")
    allowed = can_write_deal(session, user, deal) if write else can_read_deal(session, user, deal)
    if not allowed:
        verb = "change" if write else "see"
        raise ProblemError(status.HTTP_403_FORBIDDEN, f"you may not {verb} this deal")
    return deal
