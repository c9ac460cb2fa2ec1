"""Seed a distributed deployment through its API and check what the workers stored."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from models import crud
from models.enums import Role
from models.tables import Call, ChangeEvent, NextStep, Objection, Utterance

REPO = Path(__file__).resolve().parents[2]
CORPUS = sorted((REPO / "fixtures" / "corpus" / "train").glob("*.json"))
AUDIO = [REPO / "fixtures" / "audio" / "call_mono.flac", REPO / "fixtures" / "audio" / "call_mono.mp3"]
DEALS = 4


def seed_revops(engine: Engine) -> dict[str, str]:
    """Create a RevOps user (who may upload to any deal) and return its auth header."""
    with Session(engine) as session:
        _, key = crud.create_user(session, name="Riley", email="riley@seller.example", role=Role.REVOPS)
        crud.create_user(session, name="Dana", email="dana@seller.example", role=Role.REP)
    return {"Authorization": f"Bearer {key}"}


def create_deals(client: TestClient, auth: dict[str, str]) -> list[str]:
    """Create a few deals in different accounts; return their external ids."""
    ids = []
    for n in range(DEALS):
        body = {
            "name": f"Deal {n}",
            "account": f"Account {n}",
            "owner_email": "dana@seller.example",
            "stage": "Discovery",
            "amount": "10000",
            "close_date": "2026-12-31",
        }
        response = client.put(f"/v1/crm/deals/D-{n}", json=body, headers=auth)
        assert response.status_code == 201, response.text
        ids.append(f"D-{n}")
    return ids


def upload_audio(client: TestClient, auth: dict[str, str], path: Path, deal: str) -> int:
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    data = {"deal_external_id": deal, "date": "2026-03-02"}
    response = client.post("/v1/calls", files=files, data=data, headers=auth)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def upload_transcript(client: TestClient, auth: dict[str, str], path: Path, deal: str) -> int:
    body = json.loads(path.read_text())
    body.pop("gold", None)
    response = client.post("/v1/calls", json=body | {"deal_external_id": deal}, headers=auth)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def wait_all_finished(engine: Engine, ids: list[int], timeout: float) -> dict[int, str]:
    """Poll the database until every call is done or failed; return the statuses."""
    deadline = time.monotonic() + timeout
    statuses: dict[int, str] = {}
    while time.monotonic() < deadline:
        try:
            with Session(engine) as session:
                rows = session.exec(select(Call.id, Call.status).where(col(Call.id).in_(ids))).all()
            statuses = {int(i): str(s) for i, s in rows if i is not None}
        except Exception:  # the database may be restarting
            time.sleep(0.5)
            continue
        if len(statuses) == len(ids) and all(s in ("done", "failed") for s in statuses.values()):
            return statuses
        time.sleep(0.5)
    raise AssertionError(f"not finished after {timeout} s: {Counter(statuses.values())} {statuses}")


def assert_exactly_once(engine: Engine, ids: list[int]) -> None:
    """Every call done, its rows stored once, and one 'call_processed' change per call."""
    with Session(engine) as session:
        calls = session.exec(select(Call).where(col(Call.id).in_(ids))).all()
        assert sorted(c.id for c in calls if c.status == "done") == sorted(ids), [
            (c.id, c.status, c.error) for c in calls if c.status != "done"
        ]
        for call in calls:
            assert call.insights is not None
            utterances = session.exec(
                select(func.count()).select_from(Utterance).where(Utterance.call_id == call.id)
            ).one()
            assert utterances == len(call.insights["utterances"]), call.id
            objections = session.exec(select(Objection.text).where(Objection.call_id == call.id)).all()
            assert len(objections) == len(call.insights["objections"]), call.id
            steps = session.exec(select(NextStep.text).where(NextStep.call_id == call.id)).all()
            assert len(steps) == len(set(steps)), (call.id, steps)
            assert len(steps) <= len(call.insights["next_steps"]), call.id
        processed = session.exec(select(ChangeEvent.data).where(ChangeEvent.type == "call_processed")).all()
        per_call = Counter(int(data["call_id"]) for data in processed)
        assert all(per_call[i] == 1 for i in ids), {i: per_call[i] for i in ids if per_call[i] != 1}
