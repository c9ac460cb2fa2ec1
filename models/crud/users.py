"""Users and their API keys (stored as sha256 hashes; the plaintext is shown once).

`auth_generation()` counts the writes to users and to keys' revocation made in this process, so
an in-process cache of who a key belongs to (api/read_cache.py) can drop its entries at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.enums import Role
from models.errors import AlreadyExistsError, NotFoundError
from models.schemas import UserCreate, normalize_email
from models.sqltypes import utcnow
from models.tables import ApiKey, User

KEY_PREFIX = "ds_"
LOOKUP_CHARS = 8
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)  # avoid a write on every request

_generation_lock = threading.Lock()
_generation = [0]


def auth_generation() -> int:
    """Return how many user or key-revocation writes this process has flushed (or committed)."""
    return _generation[0]


def _bump_auth_generation(*_args: Any) -> None:
    with _generation_lock:
        _generation[0] += 1


def _bump_on_revocation(_mapper: Any, _connection: Any, key: ApiKey) -> None:
    # last_used_at changes once a minute per key: that must not empty the cache.
    if sa.inspect(key).attrs.revoked_at.history.has_changes():
        _bump_auth_generation()


# Flush-time events catch every ORM write to these rows, whichever code makes it; revoke_api_key
# bumps again after its commit, so a request that re-read the row in between cannot keep it.
sa.event.listen(User, "after_update", _bump_auth_generation)
sa.event.listen(User, "after_delete", _bump_auth_generation)
sa.event.listen(ApiKey, "after_update", _bump_on_revocation)
sa.event.listen(ApiKey, "after_delete", _bump_auth_generation)


def hash_api_key(key: str) -> str:
    """Return the sha256 hex digest stored for `key`."""
    return hashlib.sha256(key.encode()).hexdigest()


def _lookup_prefix(key: str) -> str:
    return key[len(KEY_PREFIX) : len(KEY_PREFIX) + LOOKUP_CHARS]


def get_user_by_email(session: Session, *, email: str) -> User | None:
    """Get a user by email address (case-insensitive)."""
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def create_user(
    session: Session, *, name: str, email: str, role: Role | str, manager_email: str | None = None
) -> tuple[User, str]:
    """Create a user with an API key and return both; the plaintext key is never stored."""
    user_in = UserCreate(name=name, email=email, role=Role(role), manager_email=manager_email)
    if get_user_by_email(session, email=user_in.email) is not None:
        raise AlreadyExistsError(f"a user with email {user_in.email!r} already exists")
    manager_id = None
    if user_in.manager_email:
        manager = get_user_by_email(session, email=normalize_email(user_in.manager_email))
        if manager is None:
            raise NotFoundError(f"no user with email {user_in.manager_email!r} to be the manager")
        manager_id = manager.id
    user = User.model_validate(user_in, update={"manager_id": manager_id})
    session.add(user)
    session.flush()
    key = _add_api_key(session, user=user)
    session.commit()
    session.refresh(user)
    return user, key


def _add_api_key(session: Session, *, user: User) -> str:
    assert user.id is not None
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(user_id=user.id, prefix=_lookup_prefix(key), key_hash=hash_api_key(key)))
    return key


def create_api_key(session: Session, *, user: User) -> str:
    """Issue another API key for `user` and return its plaintext once."""
    key = _add_api_key(session, user=user)
    session.commit()
    return key


def get_api_key(session: Session, *, key: str) -> ApiKey | None:
    """Get the live (not revoked) API key row matching plaintext `key`, noting its use."""
    if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + LOOKUP_CHARS:
        return None
    digest = hash_api_key(key)
    candidates = session.exec(
        select(ApiKey).where(ApiKey.prefix == _lookup_prefix(key), col(ApiKey.revoked_at).is_(None))
    ).all()
    # Constant-time comparison: the prefix narrows the search, the hash decides.
    found = next((c for c in candidates if hmac.compare_digest(c.key_hash, digest)), None)
    if found is not None:
        now = utcnow()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            found.last_used_at = now
            session.commit()
    return found


def get_user_by_api_key(session: Session, *, key: str) -> User | None:
    """Get the active user owning plaintext API key `key`, or None."""
    api_key = get_api_key(session, key=key)
    if api_key is None:
        return None
    user = session.get(User, api_key.user_id)
    return user if user is not None and user.active else None


def revoke_api_key(session: Session, *, key: str) -> bool:
    """Revoke plaintext API key `key`; return whether a live key was revoked."""
    api_key = get_api_key(session, key=key)
    if api_key is None:
        return False
    api_key.revoked_at = utcnow()
    session.commit()
    _bump_auth_generation()
    return True


def list_team(session: Session, *, manager: User) -> list[User]:
    """List the users reporting to `manager`, directly or through other managers."""
    team: list[User] = []
    frontier = [manager.id]
    seen = {manager.id}
    while frontier:
        reports = session.exec(select(User).where(col(User.manager_id).in_(frontier))).all()
        fresh = [u for u in reports if u.id not in seen]
        seen.update(u.id for u in fresh)
        team.extend(fresh)
        frontier = [u.id for u in fresh]
    return team
