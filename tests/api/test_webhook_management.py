"""RevOps manages subscriptions: change url/events/active, rotate the secret with a grace period, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.config import Settings
from api.webhooks import event_payload, event_type, verify
from models.crud import webhooks as store
from models.tables import WebhookSubscription
from tests.api.conftest import Team, deal_body
from tests.api.test_webhooks import ALL_EVENTS, Receiver, _outbox, _service, serve_receiver

PROBLEM = "application/problem+json"


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Private targets allowed: the receiver listens on 127.0.0.1."""
    webhooks = api_settings.webhooks.model_copy(update={"allow_private_targets": True})
    return api_settings.model_copy(update={"webhooks": webhooks})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as state:
        yield state


@pytest.fixture
def app_engine(client: TestClient) -> Engine:
    client.app.state.webhooks.stop()  # type: ignore[attr-defined]
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def _create(client: TestClient, team: Team, url: str, events: list[str] | None = None) -> dict[str, Any]:
    created = client.post(
        "/v1/webhooks", json={"url": url, "events": events or ["deal.updated"]}, headers=team.auth("revops")
    )
    assert created.status_code == 201, created.text
    hook: dict[str, Any] = created.json()
    return hook


def test_new_routes_need_a_key_and_revops(client: TestClient, team: Team) -> None:
    hook = _create(client, team, "https://crm.example/h")
    calls = [
        ("patch", f"/v1/webhooks/{hook['id']}", {"active": False}),
        ("post", f"/v1/webhooks/{hook['id']}/rotate-secret", {}),
        ("get", f"/v1/webhooks/{hook['id']}/audit", None),
    ]
    for method, path, body in calls:
        assert client.request(method, path, json=body).status_code == 401
        for who in ("rep", "manager", "leader"):
            refused = client.request(method, path, json=body, headers=team.auth(who))
            assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    after = client.get(f"/v1/webhooks/{hook['id']}", headers=team.auth("revops")).json()
    assert after["active"] is True  # nothing the refused callers sent was applied


def test_patch_changes_url_events_and_active(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    hook = _create(client, team, "https://crm.example/h")
    path = f"/v1/webhooks/{hook['id']}"
    changed = client.patch(path, json={"url": "https://crm.example/v2", "events": ALL_EVENTS}, headers=revops)
    assert changed.status_code == 200
    assert changed.json()["url"] == "https://crm.example/v2" and changed.json()["events"] == sorted(
        ALL_EVENTS
    )
    paused = client.patch(path, json={"active": False}, headers=revops).json()
    assert paused["active"] is False and paused["url"] == "https://crm.example/v2"
    assert client.get(path, headers=revops).json() == paused
    assert client.patch("/v1/webhooks/999", json={"active": True}, headers=revops).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://crm.example/h"}, "url"),
        ({"url": "http://8.8.8.8/h"}, "url"),  # public and plain http
        ({"events": []}, "events"),
        ({"events": ["deal.deleted"]}, "events"),
        ({"url": None}, ""),
        ({"active": "maybe"}, "active"),
    ],
)
def test_patch_is_validated_as_on_create(
    client: TestClient, team: Team, body: dict[str, Any], field: str
) -> None:
    hook = _create(client, team, "https://crm.example/h")
    response = client.patch(f"/v1/webhooks/{hook['id']}", json=body, headers=team.auth("revops"))
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert field in ".".join(str(p) for p in response.json()["errors"][0]["loc"])
    unchanged = client.get(f"/v1/webhooks/{hook['id']}", headers=team.auth("revops")).json()
    assert unchanged["url"] == "https://crm.example/h" and unchanged["events"] == ["deal.updated"]


def test_a_paused_subscription_keeps_its_queued_events_until_resumed(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    revops = team.auth("revops")
    hook = _create(client, team, receiver.url)
    receiver.secret = hook["secret"]
    client.put("/v1/crm/deals/P-1", json=deal_body(), headers=revops)
    with Session(app_engine) as session:
        assert store.dispatch_changes(session, classify=event_type, build_payload=event_payload) == 1
    client.patch(f"/v1/webhooks/{hook['id']}", json={"active": False}, headers=revops)
    service = _service(app_engine)
    assert service.run_once() == 0  # queued, but waiting: the subscription is paused
    assert receiver.ids == [] and [r.delivered_at for r in _outbox(app_engine)] == [None]
    client.put("/v1/crm/deals/P-2", json=deal_body(), headers=revops)
    assert service.run_once() == 0  # changes while paused are not queued for it
    client.patch(f"/v1/webhooks/{hook['id']}", json={"active": True}, headers=revops)
    assert service.run_once() == 1
    assert len(receiver.ids) == 1 and receiver.bad_signatures == 0


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    revops = team.auth("revops")
    hook = _create(client, team, receiver.url)
    old_secret = hook["secret"]
    rotated = client.post(
        f"/v1/webhooks/{hook['id']}/rotate-secret", json={"grace_period_s": 3600}, headers=revops
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    expires = dt.datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    assert dt.timedelta(minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
    shown = client.get(f"/v1/webhooks/{hook['id']}", headers=revops).json()
    assert "secret" not in shown and shown["previous_secret_expires_at"] is not None
    service = _service(app_engine)
    receiver.secret = old_secret  # a receiver that has not switched yet
    client.put("/v1/crm/deals/ROT-1", json=deal_body(), headers=revops)
    assert service.run_once() == 1
    receiver.secret = new_secret  # and one that has
    client.put("/v1/crm/deals/ROT-1", json=deal_body(stage="Proposal"), headers=revops)
    assert service.run_once() == 1
    assert len(receiver.ids) == 2 and receiver.bad_signatures == 0
    assert receiver.signature_counts == [2, 2]


def test_rotation_without_grace_drops_the_old_secret_at_once(
    client: TestClient, team: Team, app_engine: Engine, receiver: Receiver
) -> None:
    revops = team.auth("revops")
    hook = _create(client, team, receiver.url)
    chosen = "my-own-secret-0123456789"
    rotated = client.post(
        f"/v1/webhooks/{hook['id']}/rotate-secret",
        json={"grace_period_s": 0, "secret": chosen},
        headers=revops,
    ).json()
    assert rotated["secret"] == chosen and rotated["previous_secret_expires_at"] is None
    receiver.secret = hook["secret"]  # still on the old one: refused from now on
    receiver.script = []
    client.put("/v1/crm/deals/ROT-2", json=deal_body(), headers=revops)
    service = _service(app_engine)
    service.run_once()
    assert receiver.bad_signatures == 1 and receiver.signature_counts == [1]
    receiver.secret = chosen
    assert client.post(f"/v1/webhooks/{hook['id']}/redeliver", headers=revops).json() == {"requeued": 1}
    service.run_once()
    assert len(receiver.ids) == 1


def test_rotation_without_a_body_uses_the_default_grace(client: TestClient, team: Team) -> None:
    hook = _create(client, team, "https://crm.example/h")
    rotated = client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=team.auth("revops"))
    assert rotated.status_code == 200
    expires = dt.datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    assert dt.timedelta(hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24)
    for body in ({"grace_period_s": -1}, {"grace_period_s": 8 * 86400}, {"secret": "short"}):
        bad = client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json=body, headers=team.auth("revops"))
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    missing = client.post("/v1/webhooks/999/rotate-secret", headers=team.auth("revops"))
    assert missing.status_code == 404


def test_signing_secrets_follow_the_grace_period() -> None:
    now = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)
    subscription = WebhookSubscription(
        url="https://crm.example/h",
        secret="new-secret-0123456789",
        previous_secret="old-secret-0123456789",
        previous_secret_expires_at=now + dt.timedelta(seconds=1),
    )
    assert store.signing_secrets(subscription, now=now) == ["new-secret-0123456789", "old-secret-0123456789"]
    assert store.signing_secrets(subscription, now=now + dt.timedelta(seconds=1)) == ["new-secret-0123456789"]
    header = "sha256=" + "0" * 64 + ",sha256=" + "1" * 64
    assert not verify("k" * 20, "1", b"{}", header)


def test_every_change_is_audited_without_secrets(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    hook = _create(client, team, "https://crm.example/h")
    path = f"/v1/webhooks/{hook['id']}"
    client.patch(path, json={"events": ["risk.changed", "deal.updated"]}, headers=revops)
    client.patch(path, json={"active": True}, headers=revops)  # no change: not audited
    rotated = client.post(f"{path}/rotate-secret", json={"grace_period_s": 60}, headers=revops).json()
    assert client.delete(path, headers=revops).status_code == 204
    audit = client.get(f"{path}/audit", headers=revops)
    assert audit.status_code == 200
    entries = audit.json()["data"]
    assert [e["action"] for e in entries] == ["created", "updated", "secret_rotated", "deleted"]
    assert {e["by"] for e in entries} == {"riley@seller.example"}
    assert entries[1]["before"] == {"events": ["deal.updated"]}
    assert entries[1]["after"] == {"events": ["deal.updated", "risk.changed"]}
    assert entries[3]["before"]["url"] == "https://crm.example/h" and entries[3]["after"] is None
    text = audit.text
    assert hook["secret"] not in text and rotated["secret"] not in text
    assert client.get("/v1/webhooks/999/audit", headers=revops).status_code == 404
