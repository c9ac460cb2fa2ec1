"""CRM extras: bulk upsert, contacts by email, Salesforce/HubSpot field mappings."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api.crm_fields import SALESFORCE_NEXT_STEP_MAX, crm_fields
from models.schemas import DealPublic, NextStepSummary
from tests.api.conftest import Team, deal_body

PROBLEM = "application/problem+json"


def _record(external_id: str, **changes: object) -> dict[str, object]:
    return {"external_id": external_id, **deal_body(**changes)}


def test_new_routes_need_a_key_and_the_right_role(client: TestClient, team: Team) -> None:
    client.put("/v1/crm/deals/A-1", json=deal_body(), headers=team.auth("revops"))
    writes = [
        ("post", "/v1/crm/deals/bulk", {"records": [_record("B-1")]}),
        ("put", "/v1/crm/contacts/tom@acme.example", {"name": "Tom", "account": "Acme"}),
    ]
    for method, path, body in writes:
        assert client.request(method, path, json=body).status_code == 401
        for who in ("rep", "manager", "leader"):
            refused = client.request(method, path, json=body, headers=team.auth(who))
            assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    fields = "/v1/crm/deals/A-1/fields?target=salesforce"
    assert client.get(fields).status_code == 401
    assert client.get(fields, headers=team.auth("other_rep")).status_code == 403
    for who in ("rep", "manager", "leader", "revops"):
        assert client.get(fields, headers=team.auth(who)).status_code == 200


def test_bulk_upsert_reports_each_record_and_bad_ones_sink_nothing(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    client.put("/v1/crm/deals/B-2", json=deal_body(), headers=revops)
    records = [
        _record("B-1"),
        _record("B-2", amount="99000"),
        _record("B-3", stage="No such stage"),
        _record("B-4", owner_email="nobody@seller.example"),
        {"name": "no external id"},
        _record("B-5", amount="-5"),
        "not a record",
    ]
    response = client.post("/v1/crm/deals/bulk", json={"records": records}, headers=revops)
    assert response.status_code == 200, response.text
    out = response.json()
    statuses = [(r["external_id"], r["status"]) for r in out["results"]]
    assert statuses == [
        ("B-1", "created"),
        ("B-2", "updated"),
        ("B-3", "error"),
        ("B-4", "error"),
        (None, "error"),
        ("B-5", "error"),
        (None, "error"),
    ]
    assert (out["created"], out["updated"], out["failed"]) == (1, 1, 5)
    assert all(r["errors"] for r in out["results"] if r["status"] == "error")
    assert out["results"][0]["id"] and "errors" not in out["results"][0]
    assert float(client.get("/v1/crm/deals/B-2", headers=revops).json()["amount"]) == 99000
    assert client.get("/v1/crm/deals/B-1", headers=revops).json()["risk"]["score"] is not None  # re-scored
    feed = client.get("/v1/changes", headers=revops).json()["changes"]
    risk_ids = {c["entity_id"] for c in feed if c["type"] == "risk_changed"}
    assert out["results"][0]["id"] in risk_ids
    assert client.get("/v1/crm/deals/B-4", headers=revops).status_code == 404


def test_bulk_upsert_replays_with_an_idempotency_key(client: TestClient, team: Team) -> None:
    headers = {**team.auth("revops"), "Idempotency-Key": "bulk-1"}
    body = {"records": [_record("I-1"), _record("I-2")]}
    first = client.post("/v1/crm/deals/bulk", json=body, headers=headers)
    again = client.post("/v1/crm/deals/bulk", json=body, headers=headers)
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert [r["status"] for r in again.json()["results"]] == ["created", "created"]
    other = client.post("/v1/crm/deals/bulk", json={"records": [_record("I-3")]}, headers=headers)
    assert other.status_code == 422 and other.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"records": [_record(f"M-{n}") for n in range(201)]}, 413),
        ({"records": []}, 422),
        ({"records": "nope"}, 422),
        ({}, 422),
    ],
)
def test_bulk_upsert_bad_bodies_are_problems(client: TestClient, team: Team, body: dict, code: int) -> None:
    response = client.post("/v1/crm/deals/bulk", json=body, headers=team.auth("revops"))
    assert response.status_code == code and response.headers["content-type"] == PROBLEM


def test_two_hundred_records_go_through(client: TestClient, team: Team) -> None:
    body = {"records": [_record(f"C-{n}", amount=str(n)) for n in range(200)]}
    response = client.post("/v1/crm/deals/bulk", json=body, headers=team.auth("revops"))
    assert response.status_code == 200 and response.json()["created"] == 200


def test_contacts_upsert_by_email(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    created = client.put(
        "/v1/crm/contacts/Jo@Acme.example", json={"name": "Jo Park", "account": "Acme"}, headers=revops
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "jo@acme.example" and created.json()["account"] == "Acme"
    updated = client.put(
        "/v1/crm/contacts/jo@acme.example",
        json={"name": "Joanna Park", "account": "Acme Group", "title": "CFO"},
        headers=revops,
    )
    assert updated.status_code == 200
    assert updated.json() | {"id": 0} == {
        "id": 0,
        "email": "jo@acme.example",
        "name": "Joanna Park",
        "title": "CFO",
        "account": "Acme Group",
    }
    assert updated.json()["id"] == created.json()["id"]
    bad = client.put("/v1/crm/contacts/not-an-email", json={"name": "X", "account": "Acme"}, headers=revops)
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    missing = client.put("/v1/crm/contacts/x@acme.example", json={"name": "X"}, headers=revops)
    assert missing.status_code == 422 and missing.headers["content-type"] == PROBLEM


def test_field_mappings_for_salesforce_and_hubspot(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    body = deal_body(stage="Proposal", forecast_category="best_case", probability=60, amount="48000.50")
    client.put("/v1/crm/deals/S-1", json=body, headers=revops)
    sf = client.get("/v1/crm/deals/S-1/fields", params={"target": "salesforce"}, headers=revops).json()
    assert sf["object"] == "Opportunity"
    assert sf["fields"] | {"NextStep": None} == {
        "Name": "Acme renewal",
        "StageName": "Proposal/Price Quote",
        "ForecastCategoryName": "Best Case",
        "CloseDate": "2026-12-31",
        "Amount": 48000.5,
        "Probability": 60,
        "NextStep": None,
    }
    hs = client.get("/v1/crm/deals/S-1/fields", params={"target": "hubspot"}, headers=revops).json()
    assert hs["fields"]["dealstage"] == "decisionmakerboughtin"
    assert hs["fields"]["hs_manual_forecast_category"] == "BEST_CASE"
    assert hs["fields"]["closedate"] == str(int(dt.datetime(2026, 12, 31, tzinfo=dt.UTC).timestamp() * 1000))
    assert hs["fields"]["amount"] == "48000.50"
    for query in ("?target=pipedrive", ""):
        bad = client.get(f"/v1/crm/deals/S-1/fields{query}", headers=revops)
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert client.get("/v1/crm/deals/NOPE/fields?target=hubspot", headers=revops).status_code == 404


def test_next_step_is_cut_to_salesforce_length_and_omit_maps_for_hubspot(
    client: TestClient, team: Team
) -> None:
    deal = client.put("/v1/crm/deals/N-1", json=deal_body(), headers=team.auth("revops")).json()
    public = DealPublic.model_validate(
        deal
        | {
            "forecast_category": "omitted",
            "next_step": NextStepSummary(
                text="Send the security questionnaire " * 20,
                due=dt.date(2027, 1, 8),
                owner="Dana",
                owner_side="rep",
                confirmed=True,
            ),
        }
    )
    sf = crm_fields(public, "salesforce")
    assert len(sf["NextStep"]) == SALESFORCE_NEXT_STEP_MAX and sf["NextStep"].endswith("…")
    assert sf["ForecastCategoryName"] == "Omitted"
    hs = crm_fields(public, "hubspot")
    assert hs["hs_manual_forecast_category"] == "OMIT" and hs["hs_next_step"].endswith("(due 2027-01-08)")


def test_concurrent_contact_upserts_make_one_contact(client: TestClient, team: Team) -> None:
    import threading

    codes: list[int] = []
    ids: set[int] = set()

    def put(n: int) -> None:
        response = client.put(
            "/v1/crm/contacts/lee@acme.example",
            json={"name": f"Lee {n}", "account": "Acme"},
            headers=team.auth("revops"),
        )
        codes.append(response.status_code)
        ids.add(response.json()["id"])

    threads = [threading.Thread(target=put, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 5 + [201] and len(ids) == 1
