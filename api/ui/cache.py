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


def ui_cache(request: Request) -> VersionedCache:
    """Return the app's cache (one per app: two apps never share entries across databases)."""
    cache: VersionedCache = request.app.state.ui_cache
    return cache
