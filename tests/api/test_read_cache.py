"""The cached deal read: every write shows at once, revoked keys are refused, roles hold.

Each test reads a deal first (so its view and the caller's key are cached), writes, and reads
again: without invalidation the second read would repeat the first.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.config import Settings
from api.engines import Engines
from api.main import create_app
from models import crud
from models.db import make_engine
from models.schemas import DealPublic
from models.tables import ApiKey
from tests.api.conftest import REPO, Team, _seed_team, deal_body, wait_for_call

BACKGROUND_THREADS = {"call", "webhooks", "rescorer"}
CALL = REPO / "fixtures" / "corpus" / "train" / "train-a-04-logistics-negotiation.json"


@pytest.fixture
def app_on(db_url: str, tmp_path: Path, engines: Engines) -> Iterator[tuple[TestClient, Team, str]]:
    """A running app on a fresh SQLite file, then PostgreSQL schema, with its team and URL."""
    team = _seed_team(db_url)
    settings = Settings(data_dir=tmp_path, database_url=db_url, rate_limit={"enabled": False})
    with TestClient(create_app(settings, engines=engines)) as client:
        yield client, team, db_url


def _create(client: TestClient, team: Team, external_id: str, **changes: object) -> dict:
    created = client.put(
        f"/v1/crm/deals/{external_id}", json=deal_body(**changes), headers=team.auth("revops")
    )
    assert created.status_code == 201, created.text
    return created.json()


def _read(client: TestClient, team: Team, deal_id: int, who: str = "rep") -> dict:
    response = client.get(f"/v1/deals/{deal_id}", headers=team.auth(who))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    return response.json()


def test_crm_update_and_stage_move_show_on_the_next_read(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, _ = app_on
    deal = _create(client, team, "C-1")
    first = _read(client, team, deal["id"])
    assert _read(client, team, deal["id"]) == first  # served from the cache: same bytes
    changed = client.put(
        "/v1/crm/deals/C-1",
        json=deal_body(amount="52000", name="Acme expansion"),
        headers=team.auth("revops"),
    )
    assert changed.status_code == 200
    after_crm = _read(client, team, deal["id"])
    assert (after_crm["amount"], after_crm["name"]) == (52000.0, "Acme expansion")
    assert after_crm["version"] > first["version"]
    moved = client.post(
        f"/v1/deals/{deal['id']}/stage",
        json={"stage": "Commit", "override_reason": "CFO said yes"},
        headers=team.auth("rep"),
    )
    assert moved.status_code == 200
    after_move = _read(client, team, deal["id"])
    assert after_move["stage"] == "commit"
    assert after_move["stage_history"][-1]["override_reason"] == "CFO said yes"
    assert after_move == moved.json()


def test_stakeholder_review_and_merge_show_on_the_next_read(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, _ = app_on
    contacts = [
        {"name": "Tom Becker", "email": "tom@acme.example", "title": "VP Operations"},
        {"name": "Thomas Becker", "email": "thomas@acme.example"},
    ]
    deal = _create(client, team, "C-2", contacts=contacts)
    tom, thomas = sorted(
        _read(client, team, deal["id"])["stakeholders"], key=lambda s: s["name"], reverse=True
    )
    assert not tom["decision_maker"]
    reviewed = client.post(
        f"/v1/stakeholders/{tom['id']}/review",
        json={"role": "economic_buyer", "decision_maker": True},
        headers=team.auth("rep"),
    )
    assert reviewed.status_code == 200, reviewed.text
    after = {s["id"]: s for s in _read(client, team, deal["id"])["stakeholders"]}
    assert after[tom["id"]]["decision_maker"] and after[tom["id"]]["role"] == "economic_buyer"
    merged = client.post(
        f"/v1/stakeholders/{tom['id']}/merge", json={"duplicate_id": thomas["id"]}, headers=team.auth("rep")
    )
    assert merged.status_code == 200, merged.text
    assert [s["id"] for s in _read(client, team, deal["id"])["stakeholders"]] == [tom["id"]]


def test_write_by_another_process_shows_on_the_next_read(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, url = app_on
    deal = _create(client, team, "C-3")
    _read(client, team, deal["id"])
    engine = make_engine(url)  # another engine: the app's process sees nothing of this write
    try:
        with Session(engine) as session:
            row = crud.get_deal(session, deal_id=deal["id"])
            assert row is not None
            crud.change_deal_stage(session, deal=row, stage="proposal", by_user=None)
    finally:
        engine.dispose()
    assert _read(client, team, deal["id"])["stage"] == "proposal"


def test_if_none_match_answers_304_until_the_deal_changes(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, _ = app_on
    deal = _create(client, team, "C-4")
    path = f"/v1/deals/{deal['id']}"
    tag = client.get(path, headers=team.auth("rep")).headers["etag"]
    for header in (tag, f"W/{tag}", f'"999", {tag}', "*"):
        unchanged = client.get(path, headers=team.auth("rep") | {"If-None-Match": header})
        assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", tag)
    # Access is checked before the precondition: a 304 would tell a stranger the deal exists.
    stranger = client.get(path, headers=team.auth("other_rep") | {"If-None-Match": tag})
    assert stranger.status_code == 403
    client.put("/v1/crm/deals/C-4", json=deal_body(amount="1000"), headers=team.auth("revops"))
    changed = client.get(path, headers=team.auth("rep") | {"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["amount"] == 1000.0
    assert changed.headers["etag"] != tag


def test_roles_hold_on_a_cached_view(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, _ = app_on
    deal = _create(client, team, "C-5")  # Dana's, in Sam's team
    _read(client, team, deal["id"], who="leader")  # now cached
    expected = {
        "rep": 200,
        "manager": 200,
        "leader": 200,
        "revops": 200,
        "other_rep": 403,
        "other_manager": 403,
    }
    for who, code in expected.items():
        assert client.get(f"/v1/deals/{deal['id']}", headers=team.auth(who)).status_code == code, who
    assert client.get(f"/v1/deals/{deal['id']}").status_code == 401
    assert client.get("/v1/deals/999999", headers=team.auth("leader")).status_code == 404
    # A new owner: the old one loses the deal at once, the new one (and their manager) gain it.
    client.put("/v1/crm/deals/C-5", json=deal_body(owner="alex@seller.example"), headers=team.auth("revops"))
    moved = {"rep": 403, "manager": 403, "other_rep": 200, "other_manager": 200}
    for who, code in moved.items():
        assert client.get(f"/v1/deals/{deal['id']}", headers=team.auth(who)).status_code == code, who


def test_revoked_key_is_refused_at_once(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, url = app_on
    deal = _create(client, team, "C-6")
    _read(client, team, deal["id"])  # the key is cached now
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert crud.revoke_api_key(session, key=team.rep)
    finally:
        engine.dispose()
    refused = client.get(f"/v1/deals/{deal['id']}", headers=team.auth("rep"))
    assert refused.status_code == 401
    assert client.get(f"/v1/deals/{deal['id']}", headers=team.auth("manager")).status_code == 200


def test_key_revoked_by_another_process_is_refused_within_the_ttl(tmp_path: Path, engines: Engines) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'ttl.db'}"
    (tmp_path / "var").mkdir()
    team = _seed_team(url)
    ttl = 0.5
    settings = Settings(data_dir=tmp_path / "var", database_url=url, read_cache={"auth_ttl_s": ttl})
    with TestClient(create_app(settings, engines=engines)) as client:
        assert client.get("/v1/deals", headers=team.auth("rep")).status_code == 200  # cached
        # A plain UPDATE, as another process's revocation looks from here: no in-process signal.
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.update(ApiKey).values(revoked_at=sa.func.current_timestamp()))
        engine.dispose()
        revoked_at = time.monotonic()
        while client.get("/v1/deals", headers=team.auth("rep")).status_code == 200:
            assert time.monotonic() - revoked_at < ttl + 5, "a revoked key kept working past the TTL"
            time.sleep(0.05)
        assert client.get("/v1/deals", headers=team.auth("rep")).status_code == 401


def test_cached_read_makes_one_query_and_matches_a_fresh_view(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, _ = app_on
    deal = _create(client, team, "C-7")
    _read(client, team, deal["id"], who="manager")
    statements: list[str] = []
    engine = client.app.state.engine  # type: ignore[attr-defined]

    def listener(*args: object) -> None:
        # The app's own threads (call workers, webhooks, rescorer) query the same engine.
        if threading.current_thread().name.split("-")[0] not in BACKGROUND_THREADS:
            statements.append(str(args[2]))

    def traced(dbapi_connection: Any, *_args: object) -> None:
        # On SQLite the stamp is read through the DB-API connection, below SQLAlchemy's events:
        # count what SQLite itself runs on each connection the pool hands out.
        dbapi_connection.set_trace_callback(lambda sql: listener(None, None, sql))

    sqlite = engine.dialect.name == "sqlite"
    sa.event.listen(engine, "checkout" if sqlite else "before_cursor_execute", traced if sqlite else listener)
    try:
        cached = client.get(f"/v1/deals/{deal['id']}", headers=team.auth("manager"))
    finally:
        sa.event.remove(
            engine, "checkout" if sqlite else "before_cursor_execute", traced if sqlite else listener
        )
        if sqlite:
            for connection in engine.pool._pool.queue:  # type: ignore[attr-defined]
                connection.dbapi_connection.set_trace_callback(None)
    assert len(statements) == 1, statements  # the stamp: version, owner and owner's manager
    with Session(engine) as session:
        row = crud.get_deal(session, deal_id=deal["id"])
        assert row is not None
        fresh = crud.deal_to_public(session, row)
    assert cached.json() == json.loads(fresh.model_dump_json())
    assert DealPublic.model_validate_json(cached.content) == fresh


def test_processed_call_and_reviews_show_on_the_next_read(client: TestClient, team: Team) -> None:
    deal = _create(client, team, "C-8", stage="Proposal")
    before = _read(client, team, deal["id"])
    assert before["open_objections"] == [] and before["methodology"] == []
    document = json.loads(CALL.read_text())
    document.pop("gold")
    call = client.post(
        "/v1/calls", json=document | {"deal_external_id": "C-8"}, headers=team.auth("rep")
    ).json()
    assert wait_for_call(client, call["id"], team.auth("rep"))["status"] == "done"
    processed = _read(client, team, deal["id"])
    assert processed["open_objections"] and processed["methodology"] and processed["risk"]
    objection = processed["open_objections"][0]
    reviewed = client.post(
        f"/v1/objections/{objection['id']}/review", json={"status": "addressed"}, headers=team.auth("rep")
    )
    assert reviewed.status_code == 200
    assert objection["id"] not in {o["id"] for o in _read(client, team, deal["id"])["open_objections"]}
    pressing = processed["next_step"]
    steps = client.get("/v1/next-steps", headers=team.auth("rep")).json()
    step = next(s for s in steps if s["deal_id"] == deal["id"] and s["text"] == pressing["text"])
    edited = client.post(
        f"/v1/next-steps/{step['id']}/review",
        json={"decision": "edit", "text": "Send the revised order form"},
        headers=team.auth("rep"),
    )
    assert edited.status_code == 200, edited.text
    next_step = _read(client, team, deal["id"])["next_step"]
    assert next_step is not None and next_step["text"] == "Send the revised order form"


def test_contact_update_shows_on_the_next_read(app_on: tuple[TestClient, Team, str]) -> None:
    client, team, _ = app_on
    deal = _create(client, team, "C-9")
    assert _read(client, team, deal["id"])["stakeholders"][0]["title"] == "VP Operations"
    updated = client.put(
        "/v1/crm/contacts/tom@acme.example",
        json={"name": "Tom Becker", "account": "Acme", "title": "COO"},
        headers=team.auth("revops"),
    )
    assert updated.status_code == 200
    assert _read(client, team, deal["id"])["stakeholders"][0]["title"] == "COO"


def test_the_crm_read_serves_the_same_kept_json_and_moves_with_writes(
    app_on: tuple[TestClient, Team, str],
) -> None:
    client, team, _ = app_on
    deal = _create(client, team, "CRM-READ-1")
    first = client.get("/v1/crm/deals/CRM-READ-1", headers=team.auth("rep"))
    assert first.status_code == 200 and first.json() == _read(client, team, deal["id"])
    tag = first.headers["etag"]
    unchanged = client.get("/v1/crm/deals/CRM-READ-1", headers=team.auth("rep") | {"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == tag
    updated = client.put("/v1/crm/deals/CRM-READ-1", json=deal_body(amount=777), headers=team.auth("revops"))
    assert updated.status_code == 200, updated.text
    again = client.get("/v1/crm/deals/CRM-READ-1", headers=team.auth("rep") | {"If-None-Match": tag})
    assert again.status_code == 200 and float(again.json()["amount"]) == 777
    assert again.headers["etag"] != tag and again.json() == _read(client, team, deal["id"])
    assert client.get("/v1/crm/deals/CRM-READ-1", headers=team.auth("other_rep")).status_code == 403
