"""Rate limits per API key: a token bucket per key, in memory, per process.

Enough for the embedded single-process default; behind several workers each process keeps
its own buckets (a shared limiter would live in the proxy or in Redis). Requests without a
bearer token are not limited here: they carry no key and get 401 from the auth dependency.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import PROBLEM_JSON


class RateLimits(BaseModel):
    """Settings shape (nested, e.g. RATE_LIMIT__PER_SECOND): sustained rate and burst per key."""

    enabled: bool = True
    per_second: float = Field(default=20.0, gt=0)
    burst: int = Field(default=100, ge=1)
    max_keys: int = Field(default=10_000, ge=1)  # buckets kept; the least recently used go first


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """One bucket per key: `burst` tokens, refilled at `per_second`; each request takes one."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token for `key`; return 0 when allowed, else the seconds until one is available."""
        now, limits = self._clock(), self.limits
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(tokens=float(limits.burst), at=now)
            bucket.tokens = min(float(limits.burst), bucket.tokens + (now - bucket.at) * limits.per_second)
            bucket.at = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > limits.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / limits.per_second


class RateLimitMiddleware:
    """ASGI middleware answering 429 problem+json with Retry-After when a key's bucket is empty."""

    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _api_key(scope) if scope["type"] == "http" else None
        wait = self.buckets.take(key) if key is not None else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Too Many Requests",
                "status": 429,
                "detail": f"rate limit of {self.buckets.limits.per_second:g} requests/s per API key "
                f"(burst {self.buckets.limits.burst}) exceeded; retry in {retry_after} s",
                "errors": [],
            }
        ).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _api_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                # Keep a digest, not the key, in memory.
                return hashlib.sha256(token.strip().encode()).hexdigest()
    return None


def install_rate_limit(app: FastAPI, limits: RateLimits | None = None) -> None:
    """Limit requests per API key (defaults: 20/s sustained, bursts of 100)."""
    limits = limits or RateLimits()
    if limits.enabled:
        app.add_middleware(RateLimitMiddleware, buckets=TokenBuckets(limits))
