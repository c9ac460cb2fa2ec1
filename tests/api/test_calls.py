"""Calls end to end: upload in every accepted form, background processing, insights, deal update."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import REPO, Team, deal_body, wait_for_call

PROBLEM = "application/problem+json"
CALL = REPO / "fixtures" / "corpus" / "train" / "train-a-04-logistics-negotiation.json"
INSIGHT_FIELDS = (
    "call",
    "speakers",
    "utterances",
    "next_steps",
    "stakeholders",
    "objections",
    "mentions",
    "methodology",
)


@pytest.fixture
def deal(client: TestClient, team: Team) -> dict:
    return client.put("/v1/crm/deals/SF-100", json=deal_body(), headers=team.auth("revops")).json()


def _transcript() -> dict:
    document = json.loads(CALL.read_text())
    document.pop("gold", None)
    return document


def test_json_transcript_is_processed_and_updates_the_deal(
    client: TestClient, team: Team, deal: dict
) -> None:
    body = _transcript() | {"deal_external_id": "SF-100"}
    accepted = client.post("/v1/calls", json=body, headers=team.auth("rep"))
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "queued"
    state = wait_for_call(client, accepted.json()["id"], team.auth("rep"))
    assert state["status"] == "done", state
    assert state["progress"] == 1.0

    insights = client.get(f"/v1/calls/{state['id']}/insights", headers=team.auth("rep"))
    assert insights.status_code == 200
    for field in INSIGHT_FIELDS:
        assert field in insights.json(), field
    assert insights.json()["call"]["date"] == body["date"]
    assert len(insights.json()["utterances"]) == len(body["utterances"])

    updated = client.get(f"/v1/deals/{deal['id']}", headers=team.auth("rep")).json()
    assert updated["last_buyer_activity"] is not None
    assert updated["last_buyer_activity"].startswith(body["date"])


@pytest.mark.parametrize("name", ["call.vtt", "call.srt", "call.txt"])
def test_transcript_files_upload(client: TestClient, team: Team, deal: dict, name: str) -> None:
    path = REPO / "fixtures" / "transcripts" / name
    files = {"file": (name, path.read_bytes(), "application/octet-stream")}
    data = {"deal_external_id": "SF-100", "date": "2026-03-02"}
    accepted = client.post("/v1/calls", files=files, data=data, headers=team.auth("rep"))
    assert accepted.status_code == 202, accepted.text
    state = wait_for_call(client, accepted.json()["id"], team.auth("rep"))
    assert state["status"] == "done", state
    insights = client.get(f"/v1/calls/{state['id']}/insights", headers=team.auth("rep")).json()
    assert [u["speaker"] for u in insights["utterances"]][:2] == ["Dana Ruiz", "Tom Becker"]


def test_same_file_twice_is_recognised(client: TestClient, team: Team, deal: dict) -> None:
    files = {"file": ("call.vtt", (REPO / "fixtures" / "transcripts" / "call.vtt").read_bytes())}
    first = client.post(
        "/v1/calls", files=files, data={"deal_external_id": "SF-100"}, headers=team.auth("rep")
    )
    second = client.post(
        "/v1/calls", files=files, data={"deal_external_id": "SF-100"}, headers=team.auth("rep")
    )
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["duplicate"] is True


@pytest.mark.parametrize(
    ("files", "data", "status", "needle"),
    [
        ({"file": ("call.json", b"")}, {}, 422, "empty"),
        ({"file": ("call.json", b"{not json")}, {}, 422, "not valid JSON"),
        ({"file": ("call.wav", b"RIFF....WAVEfmt this is not audio")}, {}, 422, "call.wav"),
        ({"file": ("call.docx", b"PK\x03\x04 binary stuff \x00\x01")}, {}, 422, "call.docx"),
        ({"file": ("call.txt", b"A: hi\nB: hello\n")}, {"date": "yesterday"}, 422, "date"),
        ({"file": ("call.txt", b"A: hi\n")}, {"deal_external_id": "NOPE"}, 422, "NOPE"),
        (
            {"file": ("call.txt", b"A: hi\n")},
            {"participants": '[{"name": "A"}]'},
            422,
            "participants[0].side",
        ),
    ],
)
def test_bad_uploads_are_refused_and_store_nothing(
    client: TestClient,
    team: Team,
    deal: dict,
    files: dict,
    data: dict,
    status: int,
    needle: str,
    api_settings,
) -> None:
    response = client.post("/v1/calls", files=files, data=data, headers=team.auth("rep"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert needle in response.json()["detail"]
    stored = (
        [p for p in api_settings.audio_dir.rglob("*") if p.is_file()]
        if api_settings.audio_dir.exists()
        else []
    )
    assert stored == []


def test_json_speaker_not_participant(client: TestClient, team: Team, deal: dict) -> None:
    body = _transcript() | {"deal_external_id": "SF-100"}
    body["utterances"][3]["speaker"] = "Somebody Else"
    response = client.post("/v1/calls", json=body, headers=team.auth("rep"))
    assert response.status_code == 422
    assert response.json()["detail"] == "utterances[3].speaker: 'Somebody Else' is not a participant"


def test_upload_needs_a_known_media_type(client: TestClient, team: Team) -> None:
    response = client.post(
        "/v1/calls", content=b"hello", headers=team.auth("rep") | {"Content-Type": "text/plain"}
    )
    assert response.status_code == 415


def test_upload_over_the_limit_is_413(client: TestClient, team: Team, api_settings) -> None:
    big = b"0" * (api_settings.max_json_bytes + 1)
    response = client.post(
        "/v1/calls", content=big, headers=team.auth("rep") | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_call_roles(client: TestClient, team: Team, deal: dict) -> None:
    body = _transcript() | {"deal_external_id": "SF-100"}
    assert client.post("/v1/calls", json=body).status_code == 401
    assert client.post("/v1/calls", json=body, headers=team.auth("other_rep")).status_code == 403
    assert client.post("/v1/calls", json=body, headers=team.auth("leader")).status_code == 403
    call_id = client.post("/v1/calls", json=body, headers=team.auth("rep")).json()["id"]
    assert client.get(f"/v1/calls/{call_id}", headers=team.auth("other_rep")).status_code == 403
    assert client.get(f"/v1/calls/{call_id}/insights", headers=team.auth("other_rep")).status_code == 403
    assert client.get(f"/v1/calls/{call_id}", headers=team.auth("manager")).status_code == 200
    assert client.get("/v1/calls/424242", headers=team.auth("leader")).status_code == 404
