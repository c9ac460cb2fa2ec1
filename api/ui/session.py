"""Signed session cookies for the web pages, and the CSRF token tied to each session.

The cookie holds `<api key id>.<issued at>.<nonce>.<signature>`: the key itself is never
stored, and revoking the key ends every session opened with it. The signing secret lives in
`<data dir>/ui-secret` (mode 600), created on first use.

CSRF: every POST form carries `csrf_token` = HMAC(secret, "csrf:" + nonce), checked against
the session; the cookie is also `SameSite=Strict`, and a cross-site `Origin` is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE_NAME = "dealsignal_session"
SECRET_FILE = "ui-secret"
MAX_AGE_S = 12 * 3600
_lock = threading.Lock()
_cache: dict[Path, bytes] = {}


def load_secret(data_dir: Path) -> bytes:
    """Return the signing secret for this data folder, creating it (mode 600) on first use."""
    path = (data_dir / SECRET_FILE).resolve()
    with _lock:
        if path in _cache:
            return _cache[path]
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            secret = bytes.fromhex(path.read_text().strip())
        else:
            secret = secrets.token_bytes(32)
            with os.fdopen(fd, "w") as handle:
                handle.write(secret.hex())
        _cache[path] = secret
        return secret


@dataclass(frozen=True, slots=True)
class PageSession:
    """A verified session: which API key opened it and its CSRF nonce."""

    api_key_id: int
    issued_at: int
    nonce: str


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def issue(secret: bytes, api_key_id: int, *, now: float | None = None) -> str:
    """Return a new signed cookie value for a session opened with `api_key_id`."""
    issued = int(now if now is not None else time.time())
    payload = f"{api_key_id}.{issued}.{secrets.token_urlsafe(16)}"
    return f"{payload}.{_sign(secret, payload)}"


def verify(secret: bytes, value: str | None, *, now: float | None = None) -> PageSession | None:
    """Return the session a cookie value holds, or None if it is forged, malformed or expired."""
    if not value or value.count(".") != 3:
        return None
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        return None
    key_id, issued, nonce = payload.split(".")
    if not key_id.isdigit() or not issued.isdigit():
        return None
    if (now if now is not None else time.time()) - int(issued) > MAX_AGE_S:
        return None
    return PageSession(api_key_id=int(key_id), issued_at=int(issued), nonce=nonce)


def csrf_token(secret: bytes, session: PageSession) -> str:
    """Return the CSRF token that forms of this session must carry."""
    return _sign(secret, f"csrf:{session.nonce}")


def csrf_ok(secret: bytes, session: PageSession, token: str | None) -> bool:
    """Tell whether a submitted CSRF token belongs to the session."""
    return bool(token) and hmac.compare_digest(csrf_token(secret, session), token or "")
