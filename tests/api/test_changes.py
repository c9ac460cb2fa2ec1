"""The change feed: roles, paging, bad input, and exactly-once commit order under concurrent writers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.config import Settings
from api.engines import Engines
from api.main import create_app
from api.ratelimit import RateLimits
from models.db import make_engine
from models.tables import ChangeEvent, Deal, NextStep
from tests.api.conftest import Team, _seed_team, deal_body

PROBLEM = "application/problem+json"


def test_feed_needs_a_key_and_the_right_role(client: TestClient, team: Team) -> None:
    assert client.get("/v1/changes").status_code == 401
    for who in ("rep", "manager"):
        refused = client.get("/v1/changes", headers=team.auth(who))
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    for who in ("revops", "leader"):
        assert client.get("/v1/changes", headers=team.auth(who)).status_code == 200


def test_feed_pages_in_order_and_resumes_from_next(client: TestClient, team: Team) -> None:
    revops = team.auth("revops")
    empty = client.get("/v1/changes", headers=revops).json()
    start = empty["next"]
    for number in range(3):
        client.put(f"/v1/crm/deals/F-{number}", json=deal_body(), headers=revops)
    client.put("/v1/crm/deals/F-0", json=deal_body(stage="Proposal"), headers=revops)
    params = {"since": start} if start is not None else {}
    everything = client.get("/v1/changes", params=params, headers=revops).json()
    changes = everything["changes"]
    assert changes and set(changes[0]) == {"id", "entity", "entity_id", "type", "at", "data"}
    assert [c["id"] for c in changes] == sorted({c["id"] for c in changes})
    assert {(c["entity"], c["type"]) for c in changes} >= {("deal", "created"), ("deal", "updated")}
    assert everything["next"] == changes[-1]["id"]
    seen, since = [], start
    while True:
        page = client.get("/v1/changes", params={"since": since or 0, "limit": 2}, headers=revops).json()
        if not page["changes"]:
            assert page["next"] == since
            break
        assert len(page["changes"]) <= 2
        seen += [c["id"] for c in page["changes"]]
        since = page["next"]
    assert seen == [c["id"] for c in changes]


@pytest.mark.parametrize("query", ["since=-1", "since=abc", "limit=0", "limit=5000"])
def test_bad_cursor_or_limit_is_a_problem(client: TestClient, team: Team, query: str) -> None:
    response = client.get(f"/v1/changes?{query}", headers=team.auth("revops"))
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"]


# --- concurrency: several writers, one reader, SQLite and PostgreSQL ----------------------------

WRITERS = 4


class _UnlimitedSettings(Settings):
    """The writers and the polling reader share a key; the per-key limit is not what is tested here."""

    rate_limit: RateLimits = RateLimits(enabled=False)


INCREMENTS = 6


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def feed_app(
    request: pytest.FixtureRequest, tmp_path: Path, engines: Engines
) -> Iterator[tuple[TestClient, Team, str]]:
    """A running app on a fresh SQLite file or PostgreSQL schema, with its team."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'feed.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    (tmp_path / "var").mkdir(exist_ok=True)
    settings = _UnlimitedSettings(data_dir=tmp_path / "var", database_url=url)
    team = _seed_team(url)
    with TestClient(create_app(settings, engines=engines)) as client:
        yield client, team, url


def _increment(client: TestClient, revops: dict[str, str], external_id: str) -> int:
    """Add 1 to the deal's amount with If-Match, retrying on 412; return the tries it took."""
    for tries in range(1, 200):
        current = client.get(f"/v1/crm/deals/{external_id}", headers=revops)
        amount = float(current.json()["amount"]) + 1
        headers = {**revops, "If-Match": current.headers["ETag"]}
        response = client.put(
            f"/v1/crm/deals/{external_id}", json=deal_body(amount=str(amount)), headers=headers
        )
        if response.status_code == 200:
            return tries
        assert response.status_code == 412, response.text
    raise AssertionError("no increment got through")


def _review(client: TestClient, revops: dict[str, str], step_id: int) -> None:
    """Accept a next step, retrying when a concurrent write to its deal wins (412)."""
    for _ in range(200):
        reviewed = client.post(
            f"/v1/next-steps/{step_id}/review", json={"decision": "accept"}, headers=revops
        )
        if reviewed.status_code == 200:
            return
        assert reviewed.status_code == 412, reviewed.text
    raise AssertionError("the review never got through")


def _seed_next_steps(url: str, external_id: str, count: int) -> list[int]:
    engine = make_engine(url)
    with Session(engine) as session:
        deal = session.exec(select(Deal).where(Deal.external_id == external_id)).one()
        steps = [
            NextStep(deal_id=deal.id, text=f"Send pricing {n}", action="send pricing") for n in range(count)
        ]
        session.add_all(steps)
        session.commit()
        ids = [step.id for step in steps]
    engine.dispose()
    return [i for i in ids if i is not None]


def test_concurrent_writers_feed_is_exactly_once_in_order_and_nothing_is_lost(
    feed_app: tuple[TestClient, Team, str],
) -> None:
    client, team, url = feed_app
    revops = team.auth("revops")
    assert client.put("/v1/crm/deals/SHARED", json=deal_body(amount="0"), headers=revops).status_code == 201
    steps = _seed_next_steps(url, "SHARED", WRITERS * 2)
    errors: list[BaseException] = []
    done = threading.Event()

    def writer(number: int) -> None:
        try:
            own = f"W-{number}"
            for step in range(INCREMENTS):
                client.put(f"/v1/crm/deals/{own}", json=deal_body(amount=str(step + 1)), headers=revops)
                _increment(client, revops, "SHARED")
            for step_id in steps[number * 2 : number * 2 + 2]:
                _review(client, revops, step_id)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    read: list[int] = []

    def reader() -> None:
        since = 0
        while True:
            finished = done.is_set()  # read once more after the writers stop, to drain
            page = client.get("/v1/changes", params={"since": since, "limit": 7}, headers=revops).json()
            read.extend(c["id"] for c in page["changes"])
            since = page["next"]
            if finished and not page["changes"]:
                return
            if not page["changes"]:
                time.sleep(0.005)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    polling = threading.Thread(target=reader)
    polling.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    polling.join(timeout=60)
    assert not errors, errors

    engine = make_engine(url)
    with Session(engine) as session:
        committed = list(session.exec(select(ChangeEvent.id).order_by(col(ChangeEvent.id))).all())
        shared = session.exec(select(Deal).where(Deal.external_id == "SHARED")).one()
        shared_updates = session.exec(
            select(ChangeEvent).where(
                ChangeEvent.entity == "deal",
                ChangeEvent.entity_id == shared.id,
                ChangeEvent.type == "updated",
            )
        ).all()
    engine.dispose()
    assert read == committed  # every committed change, once each, in commit (= id) order
    assert len(read) == len(set(read))
    assert float(shared.amount or 0) == WRITERS * INCREMENTS  # no lost update
    assert len(shared_updates) == WRITERS * INCREMENTS


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_slow_committers_never_make_the_reader_skip_a_change(
    db: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Writers hold their transaction open after inserting the change row: the classic skip window."""
    import random

    from models import crud
    from models.db import migrate

    url = (
        f"sqlite:///{tmp_path / 'skip.db'}"
        if db == "sqlite"
        else request.getfixturevalue("postgres_schema_url")
    )
    engine = make_engine(url)
    migrate(engine)
    done = threading.Event()
    read: list[int] = []

    def writer(number: int) -> None:
        for step in range(15):
            with Session(engine) as session:
                crud.record_change(session, entity="deal", entity_id=number, type="updated", data={"n": step})
                # Runs after the change row is inserted (listeners run in order): an id is
                # taken, and the commit comes later.
                sa.event.listen(session, "before_commit", lambda _s: time.sleep(random.uniform(0, 0.01)))
                session.commit()

    def reader() -> None:
        since = 0
        while True:
            finished = done.is_set()
            with Session(engine) as session:
                page = crud.list_changes(session, since=since, limit=5)
            read.extend(e.id for e in page if e.id is not None)
            since = read[-1] if read else 0
            if finished and not page:
                return

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    polling = threading.Thread(target=reader)
    polling.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    polling.join(timeout=60)
    with Session(engine) as session:
        committed = list(session.exec(select(ChangeEvent.id).order_by(col(ChangeEvent.id))).all())
    engine.dispose()
    assert len(committed) == 6 * 15
    assert read == committed
