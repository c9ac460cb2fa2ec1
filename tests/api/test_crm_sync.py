"""CRM contacts in the change feed (extending it; no webhook event type for them)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.webhooks import event_payload, event_type
from models.crud import webhooks as store
from models.tables import OutboxEvent
from tests.api.conftest import Team, deal_body


def _contact_changes(client: TestClient, team: Team, since: int = 0) -> list[dict]:
    feed = client.get("/v1/changes", params={"since": since, "limit": 1000}, headers=team.auth("leader"))
    assert feed.status_code == 200
    return [c for c in feed.json()["changes"] if c["entity"] == "contact"]


def test_contact_upserts_appear_in_the_feed_once_per_real_change(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    path = "/v1/crm/contacts/Maria.Lopez@Globex.example"
    body = {"name": "Maria Lopez", "account": "Globex", "title": "CFO"}
    assert client.put(path, json=body, headers=revops).status_code == 201
    assert client.put(path, json=body, headers=revops).status_code == 200  # no change: no event
    moved = {"name": "María López", "account": "Globex Holdings", "title": "CFO"}
    assert client.put(path, json=moved, headers=revops).status_code == 200
    changes = _contact_changes(client, team)
    assert [c["type"] for c in changes] == ["created", "updated"]
    assert changes[0]["data"] == {
        "email": "maria.lopez@globex.example",
        "name": "Maria Lopez",
        "title": "CFO",
        "account": "Globex",
    }
    assert changes[1]["data"]["changes"]["name"] == ["Maria Lopez", "María López"]
    assert changes[1]["data"]["account"] == "Globex Holdings"
    assert changes[0]["entity_id"] == changes[1]["entity_id"]


def test_deal_contacts_are_in_the_feed_before_the_deal_and_get_no_webhook(
    client: TestClient, team: Team
) -> None:
    revops = team.auth("revops")
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    client.app.state.webhooks.stop()  # type: ignore[attr-defined]
    all_events = ["deal.updated", "risk.changed", "next_step.accepted", "call.processed"]
    with Session(engine) as session:
        store.create_subscription(
            session, url="https://crm.example/h", events=all_events, secret="z" * 20, by_user=None
        )
    client.put("/v1/crm/deals/C-1", json=deal_body(), headers=revops)
    feed = client.get("/v1/changes", headers=revops).json()["changes"]
    kinds = [(c["entity"], c["type"]) for c in feed]
    assert kinds.index(("contact", "created")) < kinds.index(("deal", "created"))
    with Session(engine) as session:
        store.dispatch_changes(session, classify=event_type, build_payload=event_payload)
        sent = session.exec(select(OutboxEvent)).all()
    assert sent and all(e.payload["data"]["entity"] != "contact" for e in sent)
    assert {e.type for e in sent} <= set(all_events)


def test_a_write_landing_before_the_rescore_is_not_reported_as_412(client: TestClient, team: Team) -> None:
    """The upsert commits, then re-scores: a concurrent commit in between must not turn into a 412
    (the client would retry, and apply, a write that had succeeded)."""
    from api.routes.crm import _rescore_written
    from models.crud.deals import get_deal_by_external_id
    from models.crud.versions import bump_version

    client.put("/v1/crm/deals/R-1", json=deal_body(), headers=team.auth("revops"))
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as ours, Session(engine) as theirs:
        deal = get_deal_by_external_id(ours, external_id="R-1")
        assert deal is not None
        deal.risk_score = None  # as just written: not scored yet, so re-scoring will write
        ours.commit()
        seen = deal.version  # loaded here, as the route's refresh after its commit does
        other = get_deal_by_external_id(theirs, external_id="R-1")
        assert other is not None
        bump_version(theirs, deal=other)  # a concurrent writer commits first
        theirs.commit()
        _rescore_written(ours, deal)
        assert deal.version == other.version > seen  # the deal as it stands now, no exception
