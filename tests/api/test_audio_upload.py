"""Audio uploads through the API: stored by digest, transcribed with sides, progress reported."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app
from tests.api.conftest import REPO, Team, deal_body, wait_for_call

STEREO = REPO / "fixtures" / "audio" / "call_stereo.flac"


@pytest.mark.slow
def test_stereo_recording_is_transcribed_with_sides(client: TestClient, team: Team, api_settings) -> None:
    client.put("/v1/crm/deals/A-1", json=deal_body(), headers=team.auth("revops"))
    files = {"file": ("call.flac", STEREO.read_bytes(), "audio/flac")}
    data = {"deal_external_id": "A-1", "date": "2026-03-02", "rep_channel": "left"}
    accepted = client.post("/v1/calls", files=files, data=data, headers=team.auth("rep"))
    assert accepted.status_code == 202, accepted.text
    stored = list(api_settings.audio_dir.rglob("*.flac"))
    assert len(stored) == 1 and stored[0].stat().st_size == STEREO.stat().st_size
    state = wait_for_call(client, accepted.json()["id"], team.auth("rep"), timeout=300)
    assert state["status"] == "done", state
    transcript = client.get(f"/v1/calls/{state['id']}/transcript", headers=team.auth("rep")).json()
    sides = {p["name"]: p["side"] for p in transcript["participants"]}
    assert sorted(sides.values()) == ["buyer", "rep"]
    first = transcript["utterances"][0]
    assert sides[first["speaker"]] == "rep" and "dana" in first["text"].lower()
    insights = client.get(f"/v1/calls/{state['id']}/insights", headers=team.auth("rep")).json()
    assert any(step["owner_side"] == "rep" and step["due"] == "2026-03-06" for step in insights["next_steps"])


def test_recording_over_the_length_limit_is_413(tmp_path, engines, team: Team, api_settings) -> None:
    limited = Settings(**(api_settings.model_dump() | {"transcribe": {"max_duration_s": 5}}))
    with TestClient(create_app(limited, engines=engines)) as client:
        client.put("/v1/crm/deals/A-2", json=deal_body(), headers=team.auth("revops"))
        files = {"file": ("call.flac", STEREO.read_bytes(), "audio/flac")}
        response = client.post(
            "/v1/calls", files=files, data={"deal_external_id": "A-2"}, headers=team.auth("rep")
        )
        assert response.status_code == 413, response.text
        assert "limit" in response.json()["detail"]
        assert [p for p in limited.audio_dir.rglob("*") if p.is_file()] == []  # a missing folder yields none
