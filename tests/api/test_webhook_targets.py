"""The webhook SSRF guard: URLs reaching loopback, private, link-local ... are refused on save and on send."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.webhooks import WebhookService
from api.webhooks.targets import GuardedTransport, TargetPolicy, UnsafeTargetError, check_url, resolve
from models.crud import webhooks as store
from models.crud.webhooks import NEVER
from models.db import make_engine, migrate
from models.tables import OutboxEvent
from tests.api.conftest import Team, deal_body

PROBLEM = "application/problem+json"
DEFAULT = TargetPolicy()
REFUSED_URLS = [
    "http://127.0.0.1:8080/hook",
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.9/hook",
    "https://192.168.1.20/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "https://[fe80::1]/hook",
    "https://[fc00::5]/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",  # multicast
    "https://240.0.0.1/hook",  # reserved
    "https://100.64.0.1/hook",  # carrier-grade NAT: not globally routable
    "https://localhost/hook",  # a name resolving to 127.0.0.1
    "https://2130706433/hook",  # 127.0.0.1 written as one number
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_non_public_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises(UnsafeTargetError, match="public hosts only"):
        check_url(url, DEFAULT)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://crm.example/h", "http or https"),
        ("https:///nohost", "no host"),
        ("http://8.8.8.8/hook", "use https"),  # public and plain http
        ("http://crm.example/hook", "use https"),  # unresolvable now, so not known to be private
        ("https://crm.example:99999/h", "port"),
    ],
)
def test_bad_schemes_hosts_and_plain_http_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeTargetError, match=message):
        check_url(url, DEFAULT)


def test_public_and_unresolvable_https_targets_pass() -> None:
    check_url("https://8.8.8.8/hook", DEFAULT)
    check_url("https://[2606:4700:4700::1111]/hook", DEFAULT)
    check_url("https://crm.example/hook", DEFAULT)  # no DNS yet: each delivery checks it again


def test_settings_can_allow_private_targets_and_plain_http() -> None:
    private = TargetPolicy(allow_private=True)
    check_url("http://127.0.0.1:8080/hook", private)  # private targets may use http
    check_url("https://localhost/hook", private)
    with pytest.raises(UnsafeTargetError, match="use https"):
        check_url("http://8.8.8.8/hook", private)
    check_url("http://8.8.8.8/hook", TargetPolicy(require_https=False))
    with pytest.raises(UnsafeTargetError, match="loopback"):
        check_url("http://127.0.0.1/hook", TargetPolicy(require_https=False))


def test_one_private_record_among_public_ones_is_enough_to_refuse() -> None:
    def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(UnsafeTargetError, match=r"hooks\.example \(10\.0\.0\.7\) is a private"):
        check_url("https://hooks.example/h", DEFAULT, resolver=mixed)


@pytest.mark.parametrize("url", ["https://127.0.0.1/h", "https://10.0.0.1/h", "https://localhost/h"])
def test_the_api_answers_422_naming_the_url_field(client: TestClient, team: Team, url: str) -> None:
    response = client.post(
        "/v1/webhooks", json={"url": url, "events": ["deal.updated"]}, headers=team.auth("revops")
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["body", "url"] and "public hosts only" in problem["detail"]
    assert client.get("/v1/webhooks", headers=team.auth("revops")).json()["count"] == 0


def test_the_api_refuses_the_metadata_address_and_ipv6_loopback(client: TestClient, team: Team) -> None:
    for url in ("http://169.254.169.254/latest/meta-data/", "https://[::1]:8443/h"):
        response = client.post(
            "/v1/webhooks", json={"url": url, "events": ["risk.changed"]}, headers=team.auth("revops")
        )
        assert response.status_code == 422, url
        assert response.json()["errors"][0]["loc"] == ["body", "url"]


def test_patch_to_a_private_url_is_refused(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    created = client.post(
        "/v1/webhooks", json={"url": "https://crm.example/h", "events": ["deal.updated"]}, headers=revops
    ).json()
    for url in ("https://localhost:9/h", "https://10.0.0.8/h", "http://169.254.169.254/"):
        response = client.patch(f"/v1/webhooks/{created['id']}", json={"url": url}, headers=revops)
        assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", "url"]
    kept = client.get(f"/v1/webhooks/{created['id']}", headers=revops).json()
    assert kept["url"] == "https://crm.example/h"


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_receiver() -> Iterator[int]:
    """A real receiver on 127.0.0.1; yields its port. `_Counter.hits` records what reached it."""
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_the_guarded_transport_refuses_loopback_unless_allowed(local_receiver: int) -> None:
    url = f"http://127.0.0.1:{local_receiver}/direct"
    with httpx.Client(transport=GuardedTransport(allow_private=False)) as client:
        with pytest.raises(UnsafeTargetError, match="loopback"):
            client.post(url, content=b"{}")
    assert _Counter.hits == []
    with httpx.Client(transport=GuardedTransport(allow_private=True)) as client:
        assert client.post(url, content=b"{}").status_code == 200
    assert _Counter.hits == ["/direct"]


def _engine_with_event(tmp_path: Path, url: str) -> Engine:
    """A database with one subscription to `url` (saved directly, as before a DNS change) and one event."""
    engine = make_engine(f"sqlite:///{tmp_path / 'guard.db'}")
    migrate(engine)
    with Session(engine) as session:
        subscription = store.create_subscription(
            session, url=url, events=["risk.changed"], secret="x" * 20, by_user=None
        )
        session.add(OutboxEvent(subscription_id=subscription.id, type="risk.changed", payload={"id": "e1"}))
        session.commit()
    return engine


def test_a_name_that_rebinds_to_loopback_is_refused_at_delivery(tmp_path: Path, local_receiver: int) -> None:
    """DNS rebinding: public when saved, 127.0.0.1 when sent. The connection is never made."""
    answers = iter([["93.184.216.34"]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers, ["127.0.0.1"])

    url = f"https://hooks.rebind.example:{local_receiver}/h"
    check_url(url, DEFAULT, resolver=rebinding)  # saved: the name looked public then
    engine = _engine_with_event(tmp_path, url)
    transport = GuardedTransport(allow_private=False, resolver=rebinding)
    service = WebhookService(engine, transport=transport)
    assert service.run_once() == 1
    with Session(engine) as session:
        (event,) = session.exec(select(OutboxEvent)).all()
    engine.dispose()
    assert event.delivered_at is None and event.next_attempt_at == NEVER  # dead: not retried
    assert "refused" in (event.last_error or "") and "loopback" in (event.last_error or "")
    assert _Counter.hits == []


def test_the_default_service_refuses_a_stored_loopback_url(tmp_path: Path, local_receiver: int) -> None:
    engine = _engine_with_event(tmp_path, f"http://127.0.0.1:{local_receiver}/h")
    assert WebhookService(engine).run_once() == 1
    with Session(engine) as session:
        (event,) = session.exec(select(OutboxEvent)).all()
    assert event.next_attempt_at == NEVER and "loopback" in (event.last_error or "")
    assert _Counter.hits == []
    store_url = f"http://localhost:{local_receiver}/h"  # allowed on purpose: then it is delivered
    with Session(engine) as session:
        subscription = store.list_subscriptions(session)[0]
        store.update_subscription(
            session, subscription=subscription, changes={"url": store_url}, by_user=None
        )
        assert subscription.id is not None
        store.requeue_dead_events(session, subscription_id=subscription.id)
    assert WebhookService(engine, allow_private_targets=True).run_once() == 1
    engine.dispose()
    assert _Counter.hits == ["/h"]


def test_unresolvable_hosts_fail_to_connect_and_are_retried(tmp_path: Path) -> None:
    engine = _engine_with_event(tmp_path, "https://no-such-host.invalid/h")
    assert WebhookService(engine).run_once() == 1
    with Session(engine) as session:
        (event,) = session.exec(select(OutboxEvent)).all()
    engine.dispose()
    assert event.next_attempt_at != NEVER and "cannot resolve" in (event.last_error or "")


def test_resolve_lists_each_address_once() -> None:
    assert resolve("127.0.0.1", 80) == ["127.0.0.1"]
    assert "127.0.0.1" in resolve("localhost", 443)
    with pytest.raises(socket.gaierror):
        resolve("no-such-host.invalid", 443)


def test_deliveries_of_crm_changes_to_a_loopback_url_never_leave(
    client: TestClient, team: Team, tmp_path: Path, local_receiver: int
) -> None:
    """End to end with the app's default settings: a URL saved before the guard existed is not called."""
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        store.create_subscription(
            session,
            url=f"http://127.0.0.1:{local_receiver}/h",
            events=["deal.updated"],
            secret="y" * 20,
            by_user=None,
        )
    client.put("/v1/crm/deals/SSRF-1", json=deal_body(), headers=team.auth("revops"))
    client.app.state.webhooks.stop()  # type: ignore[attr-defined]
    WebhookService(engine).run_once()
    with Session(engine) as session:
        events = session.exec(select(OutboxEvent)).all()
    assert events and all(e.next_attempt_at == NEVER for e in events)
    assert _Counter.hits == []


def test_a_stuck_resolver_is_given_up_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck(*_args: object, **_kwargs: object) -> list[object]:
        release.wait(10)  # a resolver that does not answer
        return []

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    try:
        with pytest.raises(socket.gaierror, match="took longer than 0.2 s"):
            resolve("stuck.example", 443, timeout_s=0.2)
        # On save such a URL counts as not resolving now: accepted, checked again on delivery.
        quick = lambda host, port: resolve(host, port, timeout_s=0.2)  # noqa: E731
        check_url("https://stuck.example/hook", TargetPolicy(), resolver=quick)
    finally:
        release.set()


def test_resolver_errors_reach_the_caller_and_names_resolve() -> None:
    assert "127.0.0.1" in resolve("localhost", 80)
    with pytest.raises(socket.gaierror):
        resolve("no-such-host.invalid", 443)
