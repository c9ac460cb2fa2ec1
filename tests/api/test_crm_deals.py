"""CRM upsert and deal reads: 201/200, ETag and If-Match, Idempotency-Key, roles, bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Team, deal_body

PROBLEM = "application/problem+json"


def test_upsert_creates_then_updates(client: TestClient, team: Team) -> None:
    created = client.put("/v1/crm/deals/SF-1", json=deal_body(), headers=team.auth("revops"))
    assert created.status_code == 201, created.text
    deal = created.json()
    assert deal["external_id"] == "SF-1"
    assert deal["owner_email"] == "dana@seller.example"
    assert deal["stage"] == "discovery"
    assert created.headers["ETag"] == f'"{deal["version"]}"'
    for field in (
        "id",
        "name",
        "account",
        "amount",
        "currency",
        "close_date",
        "forecast_category",
        "probability",
        "next_step",
        "last_buyer_activity",
        "stakeholders",
        "open_objections",
        "risk",
        "methodology",
        "stage_history",
        "version",
    ):
        assert field in deal, field

    updated = client.put("/v1/crm/deals/SF-1", json=deal_body(amount="52000"), headers=team.auth("revops"))
    assert updated.status_code == 200
    assert updated.json()["id"] == deal["id"]
    assert float(updated.json()["amount"]) == 52000
    assert updated.json()["version"] > deal["version"]


def test_deal_reads_by_both_ids(client: TestClient, team: Team) -> None:
    deal = client.put("/v1/crm/deals/SF-2", json=deal_body(), headers=team.auth("revops")).json()
    by_crm = client.get("/v1/crm/deals/SF-2", headers=team.auth("rep"))
    by_id = client.get(f"/v1/deals/{deal['id']}", headers=team.auth("rep"))
    assert by_crm.status_code == by_id.status_code == 200
    assert by_crm.json() == by_id.json()
    assert by_id.headers["ETag"] == f'"{deal["version"]}"'


def test_stale_if_match_is_refused(client: TestClient, team: Team) -> None:
    first = client.put("/v1/crm/deals/SF-3", json=deal_body(), headers=team.auth("revops"))
    stale = first.headers["ETag"]
    client.put("/v1/crm/deals/SF-3", json=deal_body(amount="1"), headers=team.auth("revops"))
    refused = client.put(
        "/v1/crm/deals/SF-3", json=deal_body(amount="2"), headers=team.auth("revops") | {"If-Match": stale}
    )
    assert refused.status_code == 412
    assert refused.headers["content-type"] == PROBLEM
    assert float(client.get("/v1/crm/deals/SF-3", headers=team.auth("revops")).json()["amount"]) == 1


def test_idempotency_key_replays_first_response(client: TestClient, team: Team) -> None:
    headers = team.auth("revops") | {"Idempotency-Key": "retry-1"}
    first = client.put("/v1/crm/deals/SF-4", json=deal_body(), headers=headers)
    again = client.put("/v1/crm/deals/SF-4", json=deal_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = client.put("/v1/crm/deals/SF-4", json=deal_body(amount="9"), headers=headers)
    assert other.status_code == 422


def test_unknown_owner_and_stage_are_clear_errors(client: TestClient, team: Team) -> None:
    owner = client.put(
        "/v1/crm/deals/SF-5", json=deal_body(owner="nobody@x.example"), headers=team.auth("revops")
    )
    assert owner.status_code == 422 and "nobody@x.example" in owner.json()["detail"]
    stage = client.put("/v1/crm/deals/SF-5", json=deal_body(stage="Maybe"), headers=team.auth("revops"))
    assert stage.status_code == 422
    assert stage.headers["content-type"] == PROBLEM
    assert stage.json()["errors"][0]["loc"][-1] == "stage"
    assert client.get("/v1/crm/deals/SF-5", headers=team.auth("revops")).status_code == 404


def test_missing_deal_is_404(client: TestClient, team: Team) -> None:
    response = client.get("/v1/deals/999999", headers=team.auth("leader"))
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_roles_on_deals(client: TestClient, team: Team) -> None:
    deal = client.put("/v1/crm/deals/SF-6", json=deal_body(), headers=team.auth("revops")).json()
    path = f"/v1/deals/{deal['id']}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get(path, headers=team.auth("other_rep")).status_code == 403
    assert client.get(path, headers=team.auth("other_manager")).status_code == 403
    for who in ("rep", "manager", "leader", "revops"):
        assert client.get(path, headers=team.auth(who)).status_code == 200, who
    for who in ("rep", "manager", "leader"):
        response = client.put("/v1/crm/deals/SF-6", json=deal_body(), headers=team.auth(who))
        assert response.status_code == 403, who
        assert response.headers["content-type"] == PROBLEM


def test_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_ids_beyond_64_bits_are_422_not_500(client: TestClient, team: Team) -> None:
    huge = 2**70
    for path in (f"/v1/deals/{huge}", f"/v1/calls/{huge}", f"/v1/calls/{huge}/transcript"):
        response = client.get(path, headers=team.auth("leader"))
        assert response.status_code == 422, path
        assert response.headers["content-type"] == PROBLEM
    merge = client.post("/v1/stakeholders/1/merge", json={"duplicate_id": -5}, headers=team.auth("revops"))
    assert merge.status_code == 422
