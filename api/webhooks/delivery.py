"""One delivery attempt: sign, POST, and decide what the response means for the next try."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from api.webhooks.signing import signature_header
from api.webhooks.targets import UnsafeTargetError

RETRYABLE_4XX = frozenset({408, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: base, 2*base, 4*base ... capped; dead after max_attempts."""

    base_s: float = 10.0
    cap_s: float = 3600.0
    max_attempts: int = 10
    jitter: float = 0.2  # +-20 %, so failed receivers are not hit by every retry at once

    def delay(self, attempt: int) -> float:
        """Return the wait after failed attempt number `attempt` (1-based)."""
        raw: float = min(self.cap_s, self.base_s * 2.0 ** max(0, attempt - 1))
        return raw * random.uniform(1 - self.jitter, 1 + self.jitter)


@dataclass(frozen=True)
class Outcome:
    """What an attempt came to: delivered, or an error with when to retry (None: give up)."""

    delivered: bool
    error: str | None = None
    retry_in_s: float | None = None


def encode(payload: dict[str, Any]) -> bytes:
    """Serialise an event body the same way on every attempt."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def headers_for(
    *, event_id: str, secrets: list[str], body: bytes, now: float | None = None
) -> dict[str, str]:
    """Build the delivery headers: event id, timestamp and a signature per secret in use."""
    timestamp = str(int(now if now is not None else time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": "DealSignal-Webhooks/1",
        "X-DealSignal-Event-Id": event_id,
        "X-DealSignal-Timestamp": timestamp,
        "X-DealSignal-Signature": signature_header(secrets, timestamp, body),
    }


def retry_after_s(value: str | None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date) into seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def attempt(
    client: httpx.Client,
    *,
    url: str,
    secrets: list[str],
    payload: dict[str, Any],
    attempts_so_far: int,
    policy: RetryPolicy,
) -> Outcome:
    """POST one event and classify the result: 2xx delivered; 408/429/5xx/network retried; other 4xx dead.

    A target refused by the address guard is dead at once, like a 4xx: retrying cannot make a
    private address public, and RevOps can redeliver once the URL or DNS is fixed.
    """
    body = encode(payload)
    headers = headers_for(event_id=str(payload["id"]), secrets=secrets, body=body)
    number = attempts_so_far + 1
    try:
        response = client.post(url, content=body, headers=headers)
    except UnsafeTargetError as exc:
        return Outcome(delivered=False, error=f"refused: {exc} (not retried)")
    except httpx.HTTPError as exc:
        return _retry(f"{type(exc).__name__}: {exc}", number, policy, None)
    if response.is_success:
        return Outcome(delivered=True)
    error = f"HTTP {response.status_code}: {response.text[:200]}"
    if 400 <= response.status_code < 500 and response.status_code not in RETRYABLE_4XX:
        return Outcome(delivered=False, error=f"{error} (not retried)")
    return _retry(error, number, policy, retry_after_s(response.headers.get("Retry-After")))


def _retry(error: str, number: int, policy: RetryPolicy, retry_after: float | None) -> Outcome:
    if number >= policy.max_attempts:
        return Outcome(delivered=False, error=f"{error} (gave up after {number} attempts)")
    wait = policy.delay(number)
    if retry_after is not None:
        wait = min(retry_after, policy.cap_s)  # the receiver said when; don't come back sooner or later
    return Outcome(delivered=False, error=error, retry_in_s=wait)
