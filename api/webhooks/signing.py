"""Webhook signatures: `sha256=` hex HMAC-SHA256 of `"{timestamp}.{body}"` with the subscription secret."""

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


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Tell whether `signature` is valid (constant-time, as receivers should check it)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
