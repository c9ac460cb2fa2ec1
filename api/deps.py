"""Request dependencies: settings, database session, the caller and their role.

Dependencies that only read `app.state` are `async def`: FastAPI runs a plain `def` dependency
in the thread pool, and each such hop costs more than the lookup itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from api.config import Settings
from api.engines import Engines
from api.problems import ProblemError
from api.read_cache import ApiKeyCache, ReadCaches
from models import crud
from models.crud.users import auth_generation
from models.enums import Role
from models.tables import Deal, User


async def get_app_settings(request: Request) -> Settings:
    """Return the settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """Return the app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


async def get_engines(request: Request) -> Engines:
    """Return the app's models."""
    engines: Engines = request.app.state.engines
    return engines


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# Row ids are 64-bit: a larger number cannot name a row, and SQLite cannot even bind it.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="row id")]
EngineDep = Annotated[Engine, Depends(get_engine)]
EnginesDep = Annotated[Engines, Depends(get_engines)]


class RequestSession(Session):
    """A request's session; `info[USED_DATABASE]` tells whether it ever took a connection."""


USED_DATABASE = "used_database"


@sa.event.listens_for(RequestSession, "after_begin")
def _note_connection(session: Session, _transaction: Any, _connection: Any) -> None:
    session.info[USED_DATABASE] = True


async def get_db(engine: EngineDep) -> AsyncIterator[Session]:
    """Yield a session for one request."""
    session = RequestSession(engine)
    try:
        yield session
    finally:
        # Closing returns the connection (a rollback: I/O), so it leaves the event loop; a session
        # that never took one (a cached deal read) closes here, without a thread-pool hop.
        if session.info.get(USED_DATABASE):
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_db)]
_bearer = HTTPBearer(auto_error=False, description="An API key from `dealsignal users create`.")


def read_caches(request: Request) -> ReadCaches:
    """Return the app's caches of API keys and deal views.

    Called directly rather than declared as a dependency: on the hot read path each dependency
    FastAPI resolves costs more than the lookup.
    """
    caches: ReadCaches = request.app.state.read_caches
    return caches


_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Return the user whose API key the request carries; 401 without a valid one."""
    key, digest = _key_digest(credentials)
    caches = read_caches(request)
    hit = caches.keys.get(digest)
    if hit is not None:  # no I/O: answered on the event loop
        api_key_id = hit.api_key_id
        # A copy in this request's session, as session.get would give, without the query.
        user = session.merge(hit.user, load=False)
    else:  # the lookup queries the database: off the event loop
        api_key_id, user, _ = await run_in_threadpool(_look_up_key, session, caches.keys, key, digest)
    request.state.api_key_id = api_key_id  # Idempotency-Key records are scoped to the key
    return user


def _key_digest(credentials: HTTPAuthorizationCredentials | None) -> tuple[str, str]:
    """Return the bearer key and its digest; 401 without one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            status.HTTP_401_UNAUTHORIZED,
            "an API key is required (Authorization: Bearer <key>)",
            headers=_CHALLENGE,
        )
    return credentials.credentials, crud.hash_api_key(credentials.credentials)


async def get_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Return the request's user for a read that needs no session: the key cache's detached copy.

    The hot deal read answers from this: no session, no merge and no thread hop for a known key.
    Treat the user as read-only (it is shared by every request with that key).
    """
    key, digest = _key_digest(credentials)
    caches = read_caches(request)
    hit = caches.keys.get(digest)
    if hit is not None:
        api_key_id, user = hit.api_key_id, hit.user
    else:
        engine: Engine = request.app.state.engine
        api_key_id, user = await run_in_threadpool(_look_up_detached, engine, caches.keys, key, digest)
    request.state.api_key_id = api_key_id
    return user


def _look_up_detached(engine: Engine, keys: ApiKeyCache, key: str, digest: str) -> tuple[int, User]:
    with RequestSession(engine) as session:
        api_key_id, _, detached = _look_up_key(session, keys, key, digest)
    return api_key_id, detached


def _look_up_key(session: Session, keys: ApiKeyCache, key: str, digest: str) -> tuple[int, User, User]:
    """Find the key's user; return the key id, the user in `session` and the detached copy cached."""
    generation = auth_generation()  # read first: a write during the lookup makes the entry stale
    api_key = crud.get_api_key(session, key=key)
    user = session.get(User, api_key.user_id) if api_key is not None else None
    if api_key is None or api_key.id is None or user is None or not user.active:
        raise ProblemError(
            status.HTTP_401_UNAUTHORIZED, "the API key is unknown or revoked", headers=_CHALLENGE
        )
    detached = User.model_validate(user.model_dump())
    make_transient_to_detached(detached)
    keys.put(digest, api_key_id=api_key.id, user=detached, generation=generation)
    return api_key.id, user, detached


CurrentUser = Annotated[User, Depends(get_current_user)]
ReaderUser = Annotated[User, Depends(get_reader)]


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


def can_read_owned(user: User, owner_id: int, owner_manager: Callable[[], int | None]) -> bool:
    """Tell whether `user` may see a deal of `owner_id`: own deals, the team's, or all for leaders
    and RevOps (`owner_manager` gives the owner's manager; it is called only for managers)."""
    if user.role in (Role.LEADER, Role.REVOPS) or owner_id == user.id:
        return True
    return user.role is Role.MANAGER and owner_manager() == user.id


def can_read_deal(session: Session, user: User, deal: Deal) -> bool:
    """Tell whether `user` may see `deal`: own deals, the team's, or all for leaders and RevOps."""

    def owner_manager() -> int | None:
        owner = session.get(User, deal.owner_id)
        return owner.manager_id if owner is not None else None

    return can_read_owned(user, deal.owner_id, owner_manager)


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
