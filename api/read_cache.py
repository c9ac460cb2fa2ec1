"""In-process caches for the hot read path: who an API key belongs to, and serialised deal views.

Both live in `app.state.read_caches` (one set per app, so apps on different databases never
share entries) and both are safe to share between the threads that serve requests.

- `ApiKeyCache`: key digest -> the key's id and a detached copy of its user, for `auth_ttl_s`
  seconds. Another process's revocation takes effect within that time; this process's own
  (`crud.revoke_api_key`, or any change to a user or key row flushed here) at once, through
  `crud.auth_generation()`.
- `DealViewCache`: deal id -> (version, JSON bytes) of the newest version seen. Every crud write
  to what the deal view shows bumps `deals.version`, so a read needs only the deal's version
  (and owner, for the access check) to know whether its bytes still stand.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from models.crud.users import auth_generation
from models.tables import User


class ReadCacheSettings(BaseModel):
    """Settings shape (nested, e.g. READ_CACHE__AUTH_TTL_S); 0 turns a cache off."""

    auth_ttl_s: float = Field(default=5.0, ge=0, le=300)  # how late another process's revocation bites
    deal_view_bytes: int = Field(default=64 * 1024 * 1024, ge=0)  # serialised deal views kept


@dataclass(frozen=True)
class CachedKey:
    """An API key found valid at `generation`: its row id and its user (detached, never mutated)."""

    api_key_id: int
    user: User
    generation: int
    expires_at: float


class ApiKeyCache:
    """API key digest -> its user, for a short time and only while no auth write happened here."""

    def __init__(
        self,
        *,
        ttl_s: float,
        generation: Callable[[], int],
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s, self.max_keys = ttl_s, max_keys
        self._generation, self._clock = generation, clock
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, CachedKey] = OrderedDict()

    def get(self, digest: str) -> CachedKey | None:
        """Return the entry for `digest` while it is fresh and no auth write happened since."""
        with self._lock:
            hit = self._keys.get(digest)
        if hit is None or hit.expires_at <= self._clock() or hit.generation != self._generation():
            return None
        return hit

    def put(self, digest: str, *, api_key_id: int, user: User, generation: int) -> None:
        """Remember a key found valid when the auth generation was `generation`."""
        if self.ttl_s <= 0:
            return
        entry = CachedKey(api_key_id, user, generation, self._clock() + self.ttl_s)
        with self._lock:
            self._keys[digest] = entry
            self._keys.move_to_end(digest)
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)


class DealViewCache:
    """Deal id -> the JSON of its newest version seen, least recently used out past `max_bytes`."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._views: OrderedDict[int, tuple[int, bytes]] = OrderedDict()
        self._bytes = 0

    def get(self, deal_id: int, version: int) -> bytes | None:
        """Return the view of `deal_id` at exactly `version`, if kept."""
        with self._lock:
            hit = self._views.get(deal_id)
            if hit is None or hit[0] != version:
                return None
            self._views.move_to_end(deal_id)
            return hit[1]

    def put(self, deal_id: int, version: int, body: bytes) -> None:
        """Keep `body` as the view of `deal_id` at `version`, unless a newer version is kept."""
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._views.get(deal_id)
            if old is not None:
                if old[0] > version:  # a slower request read an older version: keep the newer
                    return
                self._bytes -= len(old[1])
            self._views[deal_id] = (version, body)
            self._views.move_to_end(deal_id)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._views.popitem(last=False)
                self._bytes -= len(evicted)


@dataclass(frozen=True)
class ReadCaches:
    """The app's caches, built from its settings."""

    keys: ApiKeyCache
    deal_views: DealViewCache

    @classmethod
    def from_settings(cls, settings: ReadCacheSettings) -> ReadCaches:
        """Build empty caches sized as `settings` says."""
        return cls(
            keys=ApiKeyCache(ttl_s=settings.auth_ttl_s, generation=auth_generation),
            deal_views=DealViewCache(max_bytes=settings.deal_view_bytes),
        )
