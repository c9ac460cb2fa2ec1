"""Reviewing extracted next steps: the queue across calls, decisions, audit, deal effects, roles."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import REPO, Team, deal_body, wait_for_call

CALL = REPO / "fixtures" / "corpus" / "train" / "train-b-04-automotive-negotiation.json"


@pytest.fixture
def deal(client: TestClient, team: Team) -> dict:
    deal = client.put("/v1/crm/deals/R-1", json=deal_body(), headers=team.auth("revops")).json()
    document = json.loads(CALL.read_text())
    document.pop("gold")
    call = client.post(
        "/v1/calls", json=document | {"deal_external_id": "R-1"}, headers=team.auth("rep")
    ).json()
    assert wait_for_call(client, call["id"], team.auth("rep"))["status"] == "done"
    return deal


def test_queue_lists_suggestions_sorted(client: TestClient, team: Team, deal: dict) -> None:
    queue = client.get("/v1/next-steps", headers=team.auth("rep")).json()
    assert queue, "the call should yield suggested next steps"
    assert all(s["status"] == "suggested" and s["deal_id"] == deal["id"] for s in queue)
    confidences = [s["confidence"] for s in queue]
    assert confidences == sorted(confidences, reverse=True)
    by_due = client.get("/v1/next-steps", params={"sort": "due"}, headers=team.auth("rep")).json()
    dues = [s["due"] for s in by_due if s["due"]]
    assert dues == sorted(dues)
    assert client.get("/v1/next-steps", headers=team.auth("other_rep")).json() == []
    assert len(client.get("/v1/next-steps", headers=team.auth("manager")).json()) == len(queue)


def test_decisions_are_applied_and_audited(client: TestClient, team: Team, deal: dict) -> None:
    queue = client.get("/v1/next-steps", headers=team.auth("rep")).json()
    first, second = queue[0], queue[1]
    accepted = client.post(
        f"/v1/next-steps/{first['id']}/review", json={"decision": "accept"}, headers=team.auth("rep")
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["reviewed_by_id"] is not None
    edited = client.post(
        f"/v1/next-steps/{second['id']}/review",
        json={"decision": "edit", "action": "send the signed order form", "due": "2030-01-15"},
        headers=team.auth("rep"),
    )
    assert edited.status_code == 200
    assert edited.json()["action"] == "send the signed order form" and edited.json()["due"] == "2030-01-15"
    assert edited.json()["edited"] is True
    remaining = {s["id"] for s in client.get("/v1/next-steps", headers=team.auth("rep")).json()}
    assert first["id"] not in remaining and second["id"] not in remaining
    reviewed = client.get(
        "/v1/next-steps", params={"status": ["accepted", "edited"]}, headers=team.auth("rep")
    )
    assert {s["id"] for s in reviewed.json()} == {first["id"], second["id"]}
    assert client.get(f"/v1/deals/{deal['id']}", headers=team.auth("rep")).json()["next_step"] is not None


def test_review_errors_and_roles(client: TestClient, team: Team, deal: dict) -> None:
    step = client.get("/v1/next-steps", headers=team.auth("rep")).json()[0]
    path = f"/v1/next-steps/{step['id']}/review"
    assert client.post(path, json={"decision": "accept"}).status_code == 401
    assert client.post(path, json={"decision": "accept"}, headers=team.auth("other_rep")).status_code == 403
    assert client.post(path, json={"decision": "accept"}, headers=team.auth("leader")).status_code == 403
    assert client.post(path, json={"decision": "edit"}, headers=team.auth("rep")).status_code == 422
    assert client.post(path, json={"decision": "maybe"}, headers=team.auth("rep")).status_code == 422
    assert (
        client.post(
            "/v1/next-steps/999999/review", json={"decision": "accept"}, headers=team.auth("rep")
        ).status_code
        == 404
    )
    assert client.post(path, json={"decision": "reject"}, headers=team.auth("manager")).status_code == 200


def test_reanalysis_keeps_reviewer_decisions(client: TestClient, team: Team, deal: dict) -> None:
    queue = client.get("/v1/next-steps", headers=team.auth("rep")).json()
    call_id = queue[0]["call_id"]
    client.post(
        f"/v1/next-steps/{queue[0]['id']}/review", json={"decision": "reject"}, headers=team.auth("rep")
    )
    client.post(
        f"/v1/next-steps/{queue[1]['id']}/review",
        json={"decision": "edit", "due": "2031-02-03"},
        headers=team.auth("rep"),
    )
    assert client.post(f"/v1/calls/{call_id}/reanalyze", headers=team.auth("leader")).status_code == 403
    again = client.post(f"/v1/calls/{call_id}/reanalyze", headers=team.auth("rep"))
    assert again.status_code == 202, again.text
    assert wait_for_call(client, call_id, team.auth("rep"))["status"] == "done"
    after = client.get(
        "/v1/next-steps", params={"status": ["suggested", "rejected", "edited"]}, headers=team.auth("rep")
    ).json()
    by_id = {s["id"]: s for s in after}
    assert by_id[queue[0]["id"]]["status"] == "rejected"
    assert by_id[queue[1]["id"]]["status"] == "edited" and by_id[queue[1]["id"]]["due"] == "2031-02-03"
    assert len(after) == len(queue)  # no duplicate suggestions for what was already reviewed
