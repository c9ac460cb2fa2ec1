"""Where webhooks may go: http(s) URLs whose host resolves only to public addresses (SSRF guard).

A subscription URL is checked when it is saved (a clear 422 early) and, because a name can
resolve somewhere else by delivery time (DNS rebinding), again on every connection the
deliverer opens: `GuardedTransport` resolves the host itself, refuses if any address is not
public, and connects only to the addresses it checked, so no second lookup can slip in between.
TLS still verifies the certificate against the host name (httpcore passes it as the SNI name).

Plain http is refused for public targets unless `require_https` is off: deliveries carry deal
data and signatures. A private target (allowed only with `allow_private_targets`, e.g. a
receiver on the same host or an on-premises CRM) may use http, as its traffic stays inside.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses it resolves to; socket.gaierror when it does not resolve.
Resolver = Callable[[str, int], list[str]]
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # embeds an IPv4 address in its last 32 bits
DNS_TIMEOUT_S = 5.0  # a resolver slower than this is treated as not resolving
REFUSED_KINDS = ("loopback", "private", "link_local", "multicast", "reserved", "unspecified")


class UnsafeTargetError(Exception):
    """A webhook URL that must not be called (bad scheme, no host, or a non-public address)."""


def resolve(host: str, port: int, *, timeout_s: float = DNS_TIMEOUT_S) -> list[str]:
    """Return every address `host` resolves to (raises socket.gaierror when it does not).

    getaddrinfo has no timeout of its own, and a stuck resolver would hold a subscription
    request or a delivery thread for as long as it likes: the lookup runs in a daemon thread
    and is given up after `timeout_s` (the URL then counts as not resolving now).
    """
    found: list[list[str] | BaseException] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.append(list(dict.fromkeys(str(info[4][0]) for info in infos)))
        except BaseException as exc:  # handed to the caller below
            found.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name="webhook-dns", daemon=True).start()
    if not done.wait(timeout_s):
        raise socket.gaierror(f"resolving {host!r} took longer than {timeout_s:g} s")
    result = found[0]
    if isinstance(result, BaseException):
        raise result
    return result


def refusal(address: IPAddress) -> str | None:
    """Say why an address may not be called ("loopback", "private" ...), or None when it is public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded)
    for kind in REFUSED_KINDS:
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:  # e.g. 100.64.0.0/10 (carrier-grade NAT), documentation ranges
        return "not globally routable"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:  # ::ffff:127.0.0.1 reaches 127.0.0.1
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def check_addresses(host: str, addresses: Iterable[str]) -> None:
    """Refuse when any address of `host` is not public (one private record is enough to abuse)."""
    for text in addresses:
        reason = refusal(ipaddress.ip_address(text.split("%", 1)[0]))  # drop an IPv6 zone id
        if reason is not None:
            shown = host if host == text else f"{host} ({text})"
            raise UnsafeTargetError(f"{shown} is a {reason} address; webhooks go to public hosts only")


@dataclass(frozen=True)
class TargetPolicy:
    """What the webhook settings allow."""

    allow_private: bool = False
    require_https: bool = True


def check_url(url: str, policy: TargetPolicy, *, resolver: Resolver = resolve) -> None:
    """Refuse a subscription URL that is not http(s) with a host, or reaches a non-public address.

    A host that does not resolve now is accepted (DNS may not be set up yet): every delivery
    checks the addresses again before connecting.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTargetError(f"the scheme must be http or https, not {parts.scheme or 'missing'!r}")
    host = parts.hostname
    if not host:
        raise UnsafeTargetError("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTargetError(f"the port is not valid: {exc}") from exc
    try:
        addresses = resolver(host, port)
    except (OSError, ValueError):  # socket.gaierror; an IDNA label too long
        addresses = []
    private = True
    try:
        check_addresses(host, addresses)
        private = False
    except UnsafeTargetError:
        if not policy.allow_private:
            raise
    if parts.scheme == "http" and policy.require_https and not private:
        raise UnsafeTargetError(
            "use https: deliveries carry deal data and signatures "
            "(or set DEALSIGNAL_WEBHOOKS__REQUIRE_HTTPS=false)"
        )


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to addresses that passed `check_addresses`."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve) -> None:
        self._inner = httpcore.SyncBackend()
        self._allow_private = allow_private
        self._resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve `host`, refuse non-public addresses, then connect to the first that answers."""
        try:
            addresses = self._resolver(host, port)
        except (OSError, ValueError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not self._allow_private:
            check_addresses(host, addresses)
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Refuse: webhooks are delivered over TCP only."""
        raise UnsafeTargetError("webhooks are not delivered to unix sockets")

    def sleep(self, seconds: float) -> None:
        """Sleep as the inner backend does (used between connection retries)."""
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with every connection opened through `GuardedBackend`; no proxies."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve) -> None:
        super().__init__(trust_env=False)
        # httpx offers no argument for the network backend, so its pool is rebuilt with ours
        # (the same defaults); tests/api/test_webhook_targets.py proves the guard is in the path.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_private=allow_private, resolver=resolver),
        )
