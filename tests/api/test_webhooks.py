"""Outbound webhooks: subscriptions API, signed at-least-once delivery with retries, restarts."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.config import Settings
from api.webhooks import WebhookService, WebhookSettings, event_type, sign, verify
from api.webhooks.delivery import RetryPolicy, retry_after_s
from models.crud.webhooks import NEVER
from models.tables import ChangeEvent, OutboxEvent
from tests.api.conftest import Team, deal_body

PROBLEM = "application/problem+json"
ALL_EVENTS = ["deal.updated", "risk.changed", "next_step.accepted", "call.processed"]


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """The app's settings with private targets allowed: the receiver listens on 127.0.0.1."""
    webhooks = api_settings.webhooks.model_copy(update={"allow_private_targets": True})
    return api_settings.model_copy(update={"webhooks": webhooks})


@dataclass
class Receiver:
    """A real HTTP endpoint: answers from a script of statuses, then 200; checks signatures."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    secret: str = ""
    ids: list[str] = field(default_factory=list)  # every delivery, duplicates included
    bad_signatures: int = 0
    signature_counts: list[int] = field(default_factory=list)  # signatures per delivery
    bodies: dict[str, dict[str, object]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        with self.lock:
            if self.script:
                return self.script.pop(0)
            timestamp = headers["x-dealsignal-timestamp"]
            # Checked as a receiver would, without our own helper: hex HMAC-SHA256 of "{timestamp}.{body}",
            # any of the comma-separated signatures (two while a rotated secret's grace period runs).
            mac = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
            fresh = abs(time.time() - int(timestamp)) < 300
            signatures = headers["x-dealsignal-signature"].split(",")
            self.signature_counts.append(len(signatures))
            if not (fresh and any(hmac.compare_digest(s, f"sha256={mac}") for s in signatures)):
                self.bad_signatures += 1
                return 401, {}
            payload = json.loads(body)
            assert headers["x-dealsignal-event-id"] == payload["id"]
            self.ids.append(payload["id"])
            self.bodies[payload["id"]] = payload
            return 200, {}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as state:
        yield state


@contextmanager
def serve_receiver() -> Iterator[Receiver]:
    """Run a Receiver on 127.0.0.1 (a port of its own) for the duration of the block."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            code, extra = state.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(code)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _subscribe(client: TestClient, team: Team, receiver: Receiver, events: list[str] | None = None) -> dict:
    created = client.post(
        "/v1/webhooks",
        json={"url": receiver.url, "events": events or ALL_EVENTS},
        headers=team.auth("revops"),
    )
    assert created.status_code == 201, created.text
    receiver.secret = created.json()["secret"]
    return created.json()


def _service(engine: Engine) -> WebhookService:
    return WebhookService(
        engine,
        poll_interval_s=0.02,
        backoff_base_s=0.05,
        backoff_cap_s=2,
        timeout_s=5,
        allow_private_targets=True,  # the receiver is on 127.0.0.1
    )


def _outbox(engine: Engine) -> list[OutboxEvent]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id))).all())


def _wait_delivered(engine: Engine, expected: int, timeout: float = 30) -> list[OutboxEvent]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _outbox(engine)
        if len(rows) >= expected and all(r.delivered_at is not None for r in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(
        f"not delivered in {timeout} s: {[(r.id, r.attempts, r.last_error) for r in _outbox(engine)]}"
    )


def _published_changes(engine: Engine) -> list[ChangeEvent]:
    with Session(engine) as session:
        changes = session.exec(select(ChangeEvent).order_by(col(ChangeEvent.id))).all()
    return [c for c in changes if event_type(c) is not None]


@pytest.fixture
def app_engine(client: TestClient) -> Engine:
    """The app's engine, with the app's own webhook service stopped (tests run theirs, faster)."""
    client.app.state.webhooks.stop()  # type: ignore[attr-defined]
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def test_routes_need_a_key_and_revops(client: TestClient, team: Team) -> None:
    calls = [
        ("post", "/v1/webhooks/1/redeliver"),
        ("post", "/v1/webhooks"),
        ("get", "/v1/webhooks"),
        ("get", "/v1/webhooks/1"),
        ("delete", "/v1/webhooks/1"),
    ]
    body = {"url": "https://example.com/h", "events": ["deal.updated"]}
    for method, path in calls:
        kwargs = {"json": body} if method == "post" else {}
        assert client.request(method, path, **kwargs).status_code == 401
        for who in ("rep", "manager", "leader"):
            refused = client.request(method, path, headers=team.auth(who), **kwargs)
            assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM


def test_subscribe_list_get_delete(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    created = client.post(
        "/v1/webhooks", json={"url": "https://crm.example/hook", "events": ["risk.changed"]}, headers=revops
    )
    assert created.status_code == 201
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["risk.changed"]
    assert hook["deliveries"] == {"pending": 0, "delivered": 0, "dead": 0}
    mine = client.post(
        "/v1/webhooks",
        json={"url": "https://crm.example/2", "events": ALL_EVENTS, "secret": "s" * 32},
        headers=revops,
    )
    assert mine.json()["secret"] == "s" * 32
    listed = client.get("/v1/webhooks", headers=revops).json()
    assert listed["count"] == 2 and all("secret" not in h for h in listed["data"])
    one = client.get(f"/v1/webhooks/{hook['id']}", headers=revops)
    assert one.status_code == 200 and "secret" not in one.json()
    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=revops).status_code == 204
    gone = client.get(f"/v1/webhooks/{hook['id']}", headers=revops)
    assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM
    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=revops).status_code == 404
    assert client.post(f"/v1/webhooks/{hook['id']}/redeliver", headers=revops).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "not a url", "events": ["deal.updated"]},
        {"url": "ftp://crm.example/h", "events": ["deal.updated"]},
        {"url": "https://crm.example/h", "events": []},
        {"url": "https://crm.example/h", "events": ["deal.deleted"]},
        {"url": "https://crm.example/h", "events": ["deal.updated"], "secret": "short"},
        {"events": ["deal.updated"]},
    ],
)
def test_bad_subscriptions_are_problems(client: TestClient, team: Team, body: dict) -> None:
    response = client.post("/v1/webhooks", json=body, headers=team.auth("revops"))
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


def test_every_event_arrives_signed_despite_500s_and_a_429(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    receiver.script = [(500, {}), (500, {}), (503, {}), (429, {"Retry-After": "1"})]
    _subscribe(client, team, receiver)
    revops = team.auth("revops")
    for number in range(3):
        client.put(f"/v1/crm/deals/H-{number}", json=deal_body(), headers=revops)
    client.put("/v1/crm/deals/H-0", json=deal_body(stage="Proposal"), headers=revops)
    expected = len(_published_changes(app_engine))
    assert expected >= 4
    service = _service(app_engine)
    started = time.monotonic()
    service.start()
    try:
        rows = _wait_delivered(app_engine, expected)
    finally:
        service.stop()
    elapsed = time.monotonic() - started
    assert receiver.script == [] and receiver.bad_signatures == 0
    assert len(rows) == expected
    assert set(receiver.ids) == {str(r.event_id) for r in rows}  # all arrived; dedupe on the id
    assert elapsed >= 0.9  # the 429's Retry-After: 1 was honoured
    assert max(r.attempts for r in rows) >= 2
    payload = receiver.bodies[str(rows[0].event_id)]
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert payload["type"] == "deal.updated" and payload["data"]["external_id"] == "H-0"  # type: ignore[index]
    assert {p["type"] for p in receiver.bodies.values()} >= {"deal.updated", "risk.changed"}
    counts = client.get("/v1/webhooks", headers=revops).json()["data"][0]["deliveries"]
    assert counts == {"pending": 0, "delivered": expected, "dead": 0}


def test_only_subscribed_event_types_are_sent(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    _subscribe(client, team, receiver, events=["risk.changed"])
    client.put("/v1/crm/deals/R-1", json=deal_body(), headers=team.auth("revops"))
    service = _service(app_engine)
    service.run_once()
    rows = _outbox(app_engine)
    assert rows and {r.type for r in rows} == {"risk.changed"}


def test_a_4xx_is_not_retried_and_the_event_is_dead(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    receiver.script = [(410, {})]
    _subscribe(client, team, receiver, events=["deal.updated"])
    client.put("/v1/crm/deals/D-1", json=deal_body(), headers=team.auth("revops"))
    service = _service(app_engine)
    service.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(r.attempts for r in _outbox(app_engine)):
            time.sleep(0.05)
        time.sleep(0.3)  # had it been retried, it would be by now
    finally:
        service.stop()
    (row,) = _outbox(app_engine)
    assert row.attempts == 1 and row.delivered_at is None and row.next_attempt_at == NEVER
    assert "410" in (row.last_error or "") and receiver.ids == []
    counts = client.get("/v1/webhooks", headers=team.auth("revops")).json()["data"][0]["deliveries"]
    assert counts["dead"] == 1
    hook_id = client.get("/v1/webhooks", headers=team.auth("revops")).json()["data"][0]["id"]
    again = client.post(f"/v1/webhooks/{hook_id}/redeliver", headers=team.auth("revops"))
    assert again.status_code == 200 and again.json() == {"requeued": 1}
    assert service.run_once() == 1  # the receiver is fixed now (its script is empty)
    (row,) = _outbox(app_engine)
    assert row.delivered_at is not None and receiver.ids == [str(row.event_id)]


def test_a_restart_mid_way_loses_and_duplicates_nothing(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    receiver.script = [(500, {})] * 3
    _subscribe(client, team, receiver)
    revops = team.auth("revops")
    for number in range(4):
        client.put(f"/v1/crm/deals/X-{number}", json=deal_body(), headers=revops)
    first = _service(app_engine)
    first.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(receiver.ids) < 2:
        time.sleep(0.01)
    first.stop()  # mid-way: some delivered, some pending or still failing
    assert 0 < len(receiver.ids)
    for number in range(4, 7):  # changes while no service runs
        client.put(f"/v1/crm/deals/X-{number}", json=deal_body(), headers=revops)
    expected = len(_published_changes(app_engine))
    second = _service(app_engine)
    second.start()
    try:
        rows = _wait_delivered(app_engine, expected)
    finally:
        second.stop()
    assert len(rows) == expected  # each change fanned out once across the restart
    change_ids = [r.payload["data"]["change_id"] for r in rows]
    assert len(change_ids) == len(set(change_ids))
    assert set(receiver.ids) == {str(r.event_id) for r in rows}
    assert receiver.bad_signatures == 0


def test_retry_policy_and_retry_after_parsing() -> None:
    policy = RetryPolicy(base_s=10, cap_s=60, jitter=0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]
    jittered = RetryPolicy(base_s=10)
    assert all(8 <= jittered.delay(1) <= 12 for _ in range(50))
    assert retry_after_s("7") == 7
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_s("soon") is None and retry_after_s(None) is None


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_concurrent_dispatchers_fan_each_change_out_once(
    db: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from api.webhooks import event_payload
    from models import crud
    from models.crud import webhooks as store
    from models.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'fan.db'}"
    if db == "postgres":
        url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        for events in (["risk.changed"], ALL_EVENTS):
            store.create_subscription(
                session, url="http://127.0.0.1:9/h", events=events, secret="x" * 20, by_user=None
            )

    def write() -> None:
        for number in range(40):
            with Session(engine) as session:
                crud.record_change(session, entity="risk", entity_id=number, type="risk_changed")
                session.commit()

    def dispatch() -> None:
        for _ in range(60):
            with Session(engine) as session:
                store.dispatch_changes(session, classify=event_type, build_payload=event_payload, batch=7)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=dispatch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as session:
        store.dispatch_changes(session, classify=event_type, build_payload=event_payload)
    rows = _outbox(engine)
    engine.dispose()
    pairs = [(r.subscription_id, r.payload["data"]["change_id"]) for r in rows]
    assert len(pairs) == len(set(pairs)) == 2 * 40


@pytest.mark.parametrize(
    ("entity", "kind", "expected"),
    [
        ("deal", "created", "deal.updated"),
        ("deal", "updated", "deal.updated"),
        ("deal", "stage_changed", "deal.updated"),
        ("deal", "call_processed", "call.processed"),
        ("risk", "risk_changed", "risk.changed"),
        ("next_step", "accepted", "next_step.accepted"),
        ("next_step", "edited", "next_step.accepted"),
        ("next_step", "rejected", None),
        ("next_step", "suggested", None),
        ("next_step", "done", None),
        ("call", "failed", None),
        ("contact", "created", None),  # in the change feed; the contract defines no webhook for it
        ("contact", "updated", None),
    ],
)
def test_change_types_map_to_event_types(entity: str, kind: str, expected: str | None) -> None:
    assert event_type(ChangeEvent(entity=entity, entity_id=1, type=kind)) == expected


@pytest.mark.postgres
def test_delivery_and_restart_on_postgres(
    postgres_schema_url: str, tmp_path: Path, engines: object, receiver: Receiver
) -> None:
    from api.main import create_app
    from tests.api.conftest import _seed_team

    receiver.script = [(500, {}), (429, {"Retry-After": "1"})]
    team = _seed_team(postgres_schema_url)
    settings = Settings(
        data_dir=tmp_path,
        database_url=postgres_schema_url,
        webhooks=WebhookSettings(allow_private_targets=True),
    )
    with TestClient(create_app(settings, engines=engines)) as client:  # type: ignore[arg-type]
        client.app.state.webhooks.stop()  # type: ignore[attr-defined]
        engine = client.app.state.engine  # type: ignore[attr-defined]
        _subscribe(client, team, receiver)
        revops = team.auth("revops")
        for number in range(3):
            client.put(f"/v1/crm/deals/P-{number}", json=deal_body(), headers=revops)
        first = _service(engine)
        first.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not receiver.ids:
            time.sleep(0.01)
        first.stop()
        for number in range(3, 5):
            client.put(f"/v1/crm/deals/P-{number}", json=deal_body(), headers=revops)
        expected = len(_published_changes(engine))
        second = _service(engine)
        second.start()
        try:
            rows = _wait_delivered(engine, expected)
        finally:
            second.stop()
    assert len(rows) == expected
    assert set(receiver.ids) == {str(r.event_id) for r in rows} and receiver.bad_signatures == 0


def test_delivered_events_are_purged_after_the_retention(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    import datetime as dt

    _subscribe(client, team, receiver, events=["deal.updated"])
    client.put("/v1/crm/deals/G-1", json=deal_body(), headers=team.auth("revops"))
    service = WebhookService(app_engine, retention=dt.timedelta(0), allow_private_targets=True)
    assert service.run_once() == 1 and len(_outbox(app_engine)) == 1
    assert service.purge() == 1 and _outbox(app_engine) == []
    assert WebhookService(app_engine).purge() == 0


def test_signature_helpers_agree_with_the_documented_formula() -> None:
    body = b'{"id":"x"}'
    expected = "sha256=" + hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_k", "1700000000", body) == expected
    assert verify("whsec_k", "1700000000", body, expected)
    assert not verify("whsec_k", "1700000001", body, expected)


def test_service_from_settings(app_engine: Engine) -> None:
    from api.webhooks import WebhookSettings

    service = WebhookService.from_settings(app_engine, WebhookSettings(backoff_base_s=2, max_attempts=3))
    assert service.policy.base_s == 2 and service.policy.max_attempts == 3 and service.poll_interval_s == 1


def test_an_event_dies_after_max_attempts_of_retryable_failures(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    receiver.script = [(408, {}), (500, {}), (500, {})]
    _subscribe(client, team, receiver, events=["deal.updated"])
    client.put("/v1/crm/deals/M-1", json=deal_body(), headers=team.auth("revops"))
    service = WebhookService(app_engine, backoff_base_s=0.01, max_attempts=2, allow_private_targets=True)
    service.run_once()  # 408: retried
    time.sleep(0.05)
    service.run_once()  # 500 on the last attempt: dead
    (row,) = _outbox(app_engine)
    assert row.attempts == 2 and row.next_attempt_at == NEVER and "gave up after 2" in (row.last_error or "")
    assert receiver.script == [(500, {})]
