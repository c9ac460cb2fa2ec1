"""Small in-process caches for the heavy team and forecast pages.

`VersionedCache` holds whole summaries: entries are keyed by what the page shows (who, which
week or period, which people) and tagged with the change feed's cursor (`data_version`): any
change to a deal, next step or risk moves the cursor and the next request recomputes. Entries
also expire after a few minutes, since risk depends on the passage of time (e.g. days without
buyer activity). When a summary must be recomputed, `PerDealCache` gives back what was read of
every deal whose version stands, so the recomputation reads only the deals that changed.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import Request
from sqlmodel import Session

from models.crud import pages as page_queries
from models.crud.pages import DealVersion
from models.crud.state_queries import Owners, deal_scope

TTL_S = 300.0
MAX_ENTRIES = 64
# A leader's forecast over every deal plus a few weeks of team reviews (~2 KB an entry).
MAX_DEAL_ENTRIES = 100_000
BY_ID_LIMIT = 1000  # more missing deals than this: read the owners' deals, not thousands of ids
T = TypeVar("T")


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


class PerDealCache:
    """What a page read of each deal, kept while the deal's version and owner stand.

    Every crud write to a deal (CRM update, stage move, processed call, next-step review, risk)
    bumps `deals.version`, so after one review only that deal is read again: a team page over
    5,000 deals reads one. Entries are per kind (one week's review, the forecast); the least
    recently used go beyond `max_entries`. Freshness of stored risk is not part of an entry:
    callers judge it from `DealVersion.risk_fresh_until`, read with the versions each time.
    """

    def __init__(self, *, max_entries: int = MAX_DEAL_ENTRIES) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[Hashable, int], tuple[tuple[int, str], Any]] = OrderedDict()

    def values(
        self, kind: Hashable, deals: Sequence[DealVersion], load: Callable[[list[int]], Mapping[int, T]]
    ) -> dict[int, T]:
        """Return each deal's value by id, calling `load` with the ids not cached at their version.

        A deal that `load` does not return (deleted meanwhile) is left out.
        """
        found: dict[int, T] = {}
        with self._lock:
            for deal in deals:
                hit = self._items.get((kind, deal.id))
                if hit is not None and hit[0] == (deal.version, deal.owner_email):
                    self._items.move_to_end((kind, deal.id))
                    found[deal.id] = hit[1]
        missing = [d for d in deals if d.id not in found]
        loaded = load([d.id for d in missing]) if missing else {}
        with self._lock:
            for deal in missing:
                if deal.id in loaded:
                    self._items[(kind, deal.id)] = ((deal.version, deal.owner_email), loaded[deal.id])
                    found[deal.id] = loaded[deal.id]
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return found

    def read_through(
        self, session: Session, kind: Hashable, *, owner_ids: Owners, load: Callable[[Any], Mapping[int, T]]
    ) -> list[tuple[int, T, dt.datetime | None]]:
        """Return (id, value, current `risk_fresh_until`) of the owners' deals, by id.

        `load` reads the deals of a scope: the ids not cached at their version, or, when more
        than `BY_ID_LIMIT` are missing (after a restart), the owners' whole scope.
        """
        versions = page_queries.deal_versions(session, owner_ids=owner_ids)

        def missing(ids: list[int]) -> Mapping[int, T]:
            return load(ids if len(ids) <= BY_ID_LIMIT else deal_scope(owner_ids))

        values = self.values(kind, versions, missing)
        return [(v.id, values[v.id], v.risk_fresh_until) for v in versions if v.id in values]


def ui_cache(request: Request) -> VersionedCache:
    """Return the app's cache (one per app: two apps never share entries across databases)."""
    cache: VersionedCache = request.app.state.ui_cache
    return cache


def deal_cache(request: Request) -> PerDealCache:
    """Return the app's per-deal cache."""
    cache: PerDealCache = request.app.state.ui_deals
    return cache
