"""API fixtures: a real app on a real database (SQLite, and PostgreSQL where asked), real models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.config import Settings
from api.engines import Engines
from api.main import create_app
from models import crud
from models.db import make_engine, migrate
from models.enums import Role
from tests.models.conftest import db_url, postgres_schema_url  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    """The models, loaded once for the whole test session."""
    return Engines(Settings(data_dir=tmp_path_factory.mktemp("engines")))


@dataclass(frozen=True)
class Team:
    """A small organisation: keys by person."""

    rep: str
    other_rep: str
    manager: str
    other_manager: str
    leader: str
    revops: str

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


def _seed_team(database_url: str) -> Team:
    engine = make_engine(database_url)
    migrate(engine)
    with Session(engine) as session:

        def key(name: str, role: Role, manager: str | None = None) -> str:
            email = f"{name.lower()}@seller.example"
            return crud.create_user(session, name=name, email=email, role=role, manager_email=manager)[1]

        manager = key("Sam", Role.MANAGER)
        other_manager = key("Quinn", Role.MANAGER)
        team = Team(
            manager=manager,
            other_manager=other_manager,
            rep=key("Dana", Role.REP, "sam@seller.example"),
            other_rep=key("Alex", Role.REP, "quinn@seller.example"),
            leader=key("Morgan", Role.LEADER),
            revops=key("Riley", Role.REVOPS),
        )
    engine.dispose()
    return team


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'dealsignal.db'}"


@pytest.fixture
def api_settings(tmp_path: Path, sqlite_url: str) -> Settings:
    (tmp_path / "var").mkdir(exist_ok=True)
    return Settings(data_dir=tmp_path / "var", database_url=sqlite_url, runner={"poll_interval_s": 0.05})


@pytest.fixture
def team(api_settings: Settings) -> Team:
    return _seed_team(api_settings.resolved_database_url)


@pytest.fixture
def client(api_settings: Settings, engines: Engines, team: Team) -> Iterator[TestClient]:
    """A client of a running app (lifespan and call runner included)."""
    with TestClient(create_app(api_settings, engines=engines)) as test_client:
        yield test_client


def deal_body(owner: str = "dana@seller.example", **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Acme renewal",
        "account": "Acme",
        "owner_email": owner,
        "stage": "Discovery",
        "amount": "48000",
        "currency": "USD",
        "close_date": "2026-12-31",
        "contacts": [{"name": "Tom Becker", "email": "tom@acme.example", "title": "VP Operations"}],
    }
    body.update(changes)
    return body


def wait_for_call(client: TestClient, call_id: int, headers: dict[str, str], timeout: float = 120) -> dict:
    """Poll a call until it is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/v1/calls/{call_id}", headers=headers).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"call {call_id} still {state['status']} after {timeout} s")
