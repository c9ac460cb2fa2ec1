"""Webhook signatures: `sha256=` hex HMAC-SHA256 of `"{timestamp}.{body}"` with the subscription secret.

While a rotated secret's grace period runs, the header carries one signature per valid secret,
comma-separated, the new one first (`sha256=<new>,sha256=<old>`, as Stripe sends several `v1=`):
a receiver accepts the delivery when any of them matches the secret it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_PREFIX = "sha256="


def new_secret() -> str:
    """Generate a subscription secret."""
    return f"whsec_{secrets.token_urlsafe(32)}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the X-DealSignal-Signature value for a body sent at `timestamp` (unix seconds)."""
    message = timestamp.encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_in_use: list[str], timestamp: str, body: bytes) -> str:
    """Return the X-DealSignal-Signature value: one signature per secret in use, newest first."""
    return ",".join(sign(secret, timestamp, body) for secret in secrets_in_use)


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Tell whether any signature in the header value was made with `secret` (constant-time each)."""
    expected = sign(secret, timestamp, body)
    matches = [hmac.compare_digest(expected, one.strip()) for one in signature.split(",")]
    return any(matches)
