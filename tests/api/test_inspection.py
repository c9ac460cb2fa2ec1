"""Inspection routes from real data: weekly review, methodology adherence, forecast, health."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import REPO, Team, deal_body, wait_for_call

CALL = REPO / "fixtures" / "corpus" / "train" / "train-a-04-logistics-negotiation.json"


@pytest.fixture
def processed(client: TestClient, team: Team) -> dict:
    """A team deal with one processed call dated this week."""
    close = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    deal = client.put(
        "/v1/crm/deals/I-1", json=deal_body(stage="Proposal", close_date=close), headers=team.auth("revops")
    ).json()
    client.put(
        "/v1/crm/deals/I-2",
        json=deal_body(owner="alex@seller.example", close_date=close),
        headers=team.auth("revops"),
    )
    document = json.loads(CALL.read_text())
    document.pop("gold")
    document["date"] = dt.date.today().isoformat()
    call = client.post(
        "/v1/calls", json=document | {"deal_external_id": "I-1"}, headers=team.auth("rep")
    ).json()
    assert wait_for_call(client, call["id"], team.auth("rep"))["status"] == "done"
    return deal


def test_weekly_review(client: TestClient, team: Team, processed: dict) -> None:
    review = client.get("/v1/pipeline/review", headers=team.auth("manager"))
    assert review.status_code == 200, review.text
    body = review.json()
    assert set(body) >= {"at_risk", "movement", "next_steps", "coverage", "hygiene", "week", "team"}
    assert body["team"] == "sam@seller.example"
    assert all(d["owner"] == "dana@seller.example" for d in body["at_risk"])
    assert {c["period"] for c in body["coverage"]} == {
        f"{dt.date.today().year}-Q{(dt.date.today().month - 1) // 3 + 1}"
    } | {c["period"] for c in body["coverage"]}
    by_leader = client.get(
        "/v1/pipeline/review",
        params={"team": "sam@seller.example", "week": "2026-W49"},
        headers=team.auth("leader"),
    )
    assert by_leader.status_code == 200 and by_leader.json()["week"] == "2026-W49"


def test_review_roles_and_bad_week(client: TestClient, team: Team) -> None:
    assert client.get("/v1/pipeline/review").status_code == 401
    assert client.get("/v1/pipeline/review", headers=team.auth("rep")).status_code == 403
    other = client.get(
        "/v1/pipeline/review", params={"team": "quinn@seller.example"}, headers=team.auth("manager")
    )
    assert other.status_code == 403
    assert client.get("/v1/pipeline/review", headers=team.auth("leader")).status_code == 422
    bad = client.get("/v1/pipeline/review", params={"week": "week 49"}, headers=team.auth("manager"))
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_methodology_adherence(client: TestClient, team: Team, processed: dict) -> None:
    body = client.get("/v1/inspection/methodology", headers=team.auth("manager")).json()
    assert body["framework"] == "MEDDICC"
    reps = {r["key"]: r for r in body["reps"]}
    assert set(reps) == {"dana@seller.example"}
    assert 0 < reps["dana@seller.example"]["mean_percent"] <= 100
    assert body["team"]["items"] == 1
    bant = client.get(
        "/v1/inspection/methodology", params={"framework": "BANT"}, headers=team.auth("manager")
    )
    assert bant.json()["framework"] == "BANT"
    assert client.get("/v1/inspection/methodology", headers=team.auth("rep")).status_code == 403


def test_forecast_and_health(client: TestClient, team: Team, processed: dict) -> None:
    forecast = client.get("/v1/forecast", headers=team.auth("leader"))
    assert forecast.status_code == 200, forecast.text
    pipeline = forecast.json()["pipeline"][0]
    assert pipeline["deals"] == 2 and pipeline["amount"] == 96000
    assert pipeline["adjusted"] <= pipeline["weighted"]
    team_only = client.get("/v1/forecast", params={"team": "sam@seller.example"}, headers=team.auth("leader"))
    assert team_only.json()["pipeline"][0]["deals"] == 1
    health = client.get("/v1/pipeline/health", headers=team.auth("manager"))
    assert health.status_code == 200
    assert client.get("/v1/forecast", headers=team.auth("rep")).status_code == 403
    assert (
        client.get("/v1/forecast", params={"period": "soon"}, headers=team.auth("leader")).status_code == 422
    )
