"""A small in-process cache for the heavy team and forecast summaries.

Entries are keyed by what the page shows (who, which week or period, which people) and tagged
with the change feed's cursor (`data_version`): any change to a deal, next step or risk moves
the cursor and the next request recomputes. Entries also expire after a few minutes, since risk
depends on the passage of time (e.g. days without buyer activity).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import Request
from sqlmodel import Session

from models.crud import pages as page_queries
from signals.types import DealState

TTL_S = 300.0
MAX_ENTRIES = 64


class VersionedCache:
    """Least-recently-used values, valid while their data version and age hold."""

    def __init__(self, *, ttl_s: float = TTL_S, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, tuple[int, float, Any]] = OrderedDict()

    def get_or_compute(self, key: Hashable, version: int, compute: Callable[[], Any]) -> Any:
        """Return the cached value for `key` at `version`, computing (and storing) it when stale."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == version and now - hit[1] < self.ttl_s:
                self._items.move_to_end(key)
                return hit[2]
        value = compute()
        with self._lock:
            self._items[key] = (version, now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value


class DealStateCache:
    """Each deal's `DealState`, kept while the deal's version stands.

    Every crud write to a deal (CRM update, stage move, processed call, next-step review, risk)
    bumps `deals.version`, so after one review only that deal is read again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[int, tuple[int, DealState]] = {}

    def states(self, session: Session, *, owner_ids: list[int]) -> list[DealState]:
        """Return the owners' deal states in id order, reading only new or changed deals."""
        versions = page_queries.deal_versions(session, owner_ids=owner_ids)
        with self._lock:
            known = {i: self._states.get(i) for i, _ in versions}
        stale = [i for i, v in versions if (hit := known[i]) is None or hit[0] != v]
        fresh = page_queries.deal_states(session, owner_ids=None, deal_ids=stale) if stale else []
        by_id = {int(s.id): s for s in fresh}
        with self._lock:
            for deal_id, version in versions:
                if deal_id in by_id:
                    self._states[deal_id] = (version, by_id[deal_id])
        return [by_id[i] if i in by_id else known[i][1] for i, _ in versions]  # type: ignore[index]


def ui_cache(request: Request) -> VersionedCache:
    """Return the app's cache (one per app: two apps never share entries across databases)."""
    cache: VersionedCache = request.app.state.ui_cache
    return cache


def state_cache(request: Request) -> DealStateCache:
    """Return the app's per-deal state cache."""
    cache: DealStateCache = request.app.state.ui_states
    return cache
