"""Objection and stakeholder review, and the settings RevOps owns."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import REPO, Team, deal_body, wait_for_call

CALL = REPO / "fixtures" / "corpus" / "train" / "train-a-04-logistics-negotiation.json"


@pytest.fixture
def deal(client: TestClient, team: Team) -> dict:
    client.put("/v1/crm/deals/O-1", json=deal_body(stage="Proposal"), headers=team.auth("revops"))
    document = json.loads(CALL.read_text())
    document.pop("gold")
    call = client.post(
        "/v1/calls", json=document | {"deal_external_id": "O-1"}, headers=team.auth("rep")
    ).json()
    assert wait_for_call(client, call["id"], team.auth("rep"))["status"] == "done"
    return client.get("/v1/crm/deals/O-1", headers=team.auth("rep")).json() | {"call_id": call["id"]}


def test_objection_review_survives_reanalysis(client: TestClient, team: Team, deal: dict) -> None:
    objection = deal["open_objections"][0]
    path = f"/v1/objections/{objection['id']}/review"
    assert client.post(path, json={"status": "addressed"}, headers=team.auth("other_rep")).status_code == 403
    assert client.post(path, json={"status": "gone"}, headers=team.auth("rep")).status_code == 422
    done = client.post(path, json={"status": "addressed"}, headers=team.auth("rep"))
    assert done.status_code == 200 and done.json()["status"] == "addressed"
    open_ids = {
        o["id"] for o in client.get("/v1/crm/deals/O-1", headers=team.auth("rep")).json()["open_objections"]
    }
    assert objection["id"] not in open_ids
    assert client.post(f"/v1/calls/{deal['call_id']}/reanalyze", headers=team.auth("rep")).status_code == 202
    assert wait_for_call(client, deal["call_id"], team.auth("rep"))["status"] == "done"
    after = client.get("/v1/crm/deals/O-1", headers=team.auth("rep")).json()["open_objections"]
    assert (objection["utterance_index"], objection["category"]) not in {
        (o["utterance_index"], o["category"]) for o in after
    }
    assert len(after) == len(deal["open_objections"]) - 1


def test_stakeholder_confirm_and_merge(client: TestClient, team: Team, deal: dict) -> None:
    people = deal["stakeholders"]
    assert len(people) >= 2
    first, second = people[0], people[1]
    confirmed = client.post(
        f"/v1/stakeholders/{first['id']}/review",
        json={"role": "economic_buyer", "decision_maker": True},
        headers=team.auth("rep"),
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed"] is True and confirmed.json()["role"] == "economic_buyer"
    merged = client.post(
        f"/v1/stakeholders/{first['id']}/merge",
        json={"duplicate_id": second["id"]},
        headers=team.auth("manager"),
    )
    assert merged.status_code == 200
    assert merged.json()["on_calls"] == first["on_calls"] + second["on_calls"]
    remaining = client.get("/v1/crm/deals/O-1", headers=team.auth("rep")).json()["stakeholders"]
    assert second["id"] not in {p["id"] for p in remaining}
    self_merge = client.post(
        f"/v1/stakeholders/{first['id']}/merge", json={"duplicate_id": first["id"]}, headers=team.auth("rep")
    )
    assert self_merge.status_code == 422
    assert client.post("/v1/stakeholders/999999/review", json={}, headers=team.auth("rep")).status_code == 404


def test_settings_owned_by_revops(client: TestClient, team: Team) -> None:
    defaults = client.get("/v1/settings", headers=team.auth("manager")).json()
    assert defaults["risk"]["weights"]["no_buyer_activity"] == 25
    assert client.get("/v1/settings", headers=team.auth("rep")).status_code == 403
    assert client.put("/v1/settings/risk", json={"cap": 90}, headers=team.auth("manager")).status_code == 403
    assert (
        client.put("/v1/settings/risk", json={"nonsense": 1}, headers=team.auth("revops")).status_code == 422
    )
    weights = defaults["risk"]["weights"] | {"no_buyer_activity": 40}
    changed = client.put("/v1/settings/risk", json={"weights": weights}, headers=team.auth("revops"))
    assert changed.status_code == 200 and changed.json()["risk"]["weights"]["no_buyer_activity"] == 40
    quotas = client.put(
        "/v1/settings/quotas",
        json={"quotas": {"sam@seller.example": {"2026-Q4": 250000}}},
        headers=team.auth("revops"),
    )
    assert quotas.status_code == 200
    bad = client.put(
        "/v1/settings/quotas", json={"quotas": {"*": {"someday": 1}}}, headers=team.auth("revops")
    )
    assert bad.status_code == 422
    method = client.put("/v1/settings/methodology", json={"framework": "BANT"}, headers=team.auth("revops"))
    assert method.json()["methodology"]["framework"] == "BANT"


def test_quota_gives_forecast_coverage(client: TestClient, team: Team) -> None:
    client.put(
        "/v1/crm/deals/Q-1",
        json=deal_body(close_date="2026-11-20", stage="Proposal"),
        headers=team.auth("revops"),
    )
    client.put(
        "/v1/settings/quotas",
        json={"quotas": {"sam@seller.example": {"2026-Q4": 48000}}},
        headers=team.auth("revops"),
    )
    forecast = client.get("/v1/forecast", params={"period": "2026-Q4"}, headers=team.auth("manager")).json()
    cover = forecast["coverage"][0]
    assert cover["quota"] == 48000
    assert cover["ratio"] == pytest.approx(cover["open_weighted"] / 48000)
