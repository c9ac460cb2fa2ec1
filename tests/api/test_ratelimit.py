"""Rate limits per API key: token buckets, 429 problem+json with Retry-After."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.config import Settings
from api.engines import Engines
from api.main import create_app
from api.ratelimit import RateLimits, TokenBuckets, install_rate_limit
from tests.api.conftest import Team

PROBLEM = "application/problem+json"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimits(per_second=2, burst=3), clock=clock)
    assert [buckets.take("k") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("k") == 0.5  # one token comes back in half a second
    assert buckets.take("other") == 0  # keys don't share buckets
    clock.now += 0.5
    assert buckets.take("k") == 0
    clock.now += 60  # refills up to the burst, not beyond
    assert [buckets.take("k") for _ in range(4)][-1] > 0


def test_buckets_are_bounded_least_recently_used_first() -> None:
    buckets = TokenBuckets(RateLimits(per_second=1, burst=1, max_keys=2), clock=Clock())
    buckets.take("a")
    buckets.take("b")
    buckets.take("c")  # evicts a, whose next request starts with a full bucket
    assert buckets.take("a") == 0
    assert buckets.take("c") > 0


def test_over_the_limit_is_429_problem_with_retry_after(
    api_settings: Settings, engines: Engines, team: Team
) -> None:
    app = create_app(api_settings, engines=engines)
    install_rate_limit(app, RateLimits(per_second=1, burst=3))
    with TestClient(app) as client:
        revops = team.auth("revops")
        assert [client.get("/v1/changes", headers=revops).status_code for _ in range(3)] == [200] * 3
        limited = client.get("/v1/changes", headers=revops)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == PROBLEM and limited.headers["Retry-After"] == "1"
        assert limited.json()["status"] == 429 and "rate limit" in limited.json()["detail"]
        assert client.get("/v1/changes", headers=team.auth("leader")).status_code == 200  # other key
        assert client.get("/v1/changes").status_code == 401  # no key: auth answers, not the limiter
        time.sleep(1.05)
        assert client.get("/v1/changes", headers=revops).status_code == 200


def test_default_limits_let_a_burst_of_100_through(client: TestClient, team: Team) -> None:
    codes = {client.get("/healthz", headers=team.auth("rep")).status_code for _ in range(100)}
    assert 429 not in codes


def test_disabled_limits_install_nothing(api_settings: Settings, engines: Engines) -> None:
    app = create_app(api_settings, engines=engines)
    before = len(app.user_middleware)
    install_rate_limit(app, RateLimits(enabled=False))
    assert len(app.user_middleware) == before
