"""The read caches on their own: bounds, expiry, generations, version order."""

from __future__ import annotations

from api.read_cache import ApiKeyCache, DealViewCache
from api.routes.deals import etag_matches
from models.enums import Role
from models.tables import User


def test_deal_views_keep_the_newest_version_within_the_byte_bound() -> None:
    views = DealViewCache(max_bytes=10)
    views.put(1, 3, b"three")
    assert views.get(1, 3) == b"three"
    assert views.get(1, 2) is None and views.get(1, 4) is None  # only that exact version
    views.put(1, 2, b"two")  # a slow request that read an older version
    assert views.get(1, 3) == b"three" and views.get(1, 2) is None
    views.put(1, 4, b"four")
    assert views.get(1, 4) == b"four" and views.get(1, 3) is None
    views.put(2, 1, b"abcd")
    views.get(1, 4)  # deal 1 is now the most recently used
    views.put(3, 1, b"xyz")  # 4 + 4 + 3 > 10: the least recently used (deal 2) goes
    assert views.get(2, 1) is None
    assert (views.get(1, 4), views.get(3, 1)) == (b"four", b"xyz")
    views.put(4, 1, b"x" * 11)  # larger than the whole cache: not kept, nothing evicted for it
    assert views.get(4, 1) is None and views.get(3, 1) == b"xyz"


def test_deal_views_off_when_sized_zero() -> None:
    views = DealViewCache(max_bytes=0)
    views.put(1, 1, b"{}")
    assert views.get(1, 1) is None


def _user() -> User:
    return User(id=1, name="Dana", email="dana@seller.example", role=Role.REP)


def test_key_entries_expire_after_the_ttl() -> None:
    now = [100.0]
    keys = ApiKeyCache(ttl_s=5, generation=lambda: 0, clock=lambda: now[0])
    keys.put("digest", api_key_id=7, user=_user(), generation=0)
    hit = keys.get("digest")
    assert hit is not None and (hit.api_key_id, hit.user.email) == (7, "dana@seller.example")
    now[0] += 4.9
    assert keys.get("digest") is not None
    now[0] += 0.2
    assert keys.get("digest") is None
    assert keys.get("another") is None


def test_key_entries_die_with_their_generation() -> None:
    generation = [3]
    keys = ApiKeyCache(ttl_s=60, generation=lambda: generation[0])
    keys.put("digest", api_key_id=7, user=_user(), generation=3)
    assert keys.get("digest") is not None
    generation[0] += 1  # a revocation in this process
    assert keys.get("digest") is None
    # An entry filled from a lookup that began before the write is stale from the start.
    keys.put("digest", api_key_id=7, user=_user(), generation=3)
    assert keys.get("digest") is None


def test_key_cache_bounded_and_off_at_zero_ttl() -> None:
    keys = ApiKeyCache(ttl_s=60, generation=lambda: 0, max_keys=2)
    for digest in ("a", "b", "c"):
        keys.put(digest, api_key_id=1, user=_user(), generation=0)
    assert keys.get("a") is None and keys.get("b") is not None and keys.get("c") is not None
    off = ApiKeyCache(ttl_s=0, generation=lambda: 0)
    off.put("a", api_key_id=1, user=_user(), generation=0)
    assert off.get("a") is None


def test_if_none_match_lists() -> None:
    assert etag_matches('"4"', 4) and etag_matches('W/"4"', 4) and etag_matches("*", 4)
    assert etag_matches('"3", "4"', 4) and etag_matches(' "3" ,W/"4" ', 4)
    assert not etag_matches('"3"', 4) and not etag_matches('"44"', 4) and not etag_matches("4", 4)
