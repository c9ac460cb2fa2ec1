"""Page fixtures: a real app on a fresh SQLite database with a small organisation and its deals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.config import RunnerSettings, Settings
from api.engines import Engines
from api.main import create_app
from models.db import make_engine, migrate
from tests.models.conftest import postgres_schema_url  # noqa: F401  (fixture)
from tests.ui.seed import Org, add_deals, deal_ids_of, make_org, score_all, wav_bytes


@dataclass
class World:
    """The seeded organisation and where its data lives."""

    settings: Settings
    org: Org
    rep_deal: int
    other_rep_deal: int
    other_team_deal: int

    @property
    def rep(self) -> str:
        return self.org.reps[0].email

    @property
    def other_rep(self) -> str:
        return self.org.reps[1].email

    @property
    def manager(self) -> str:
        return self.org.managers[0].email


def seed_world(data_dir: Path, database_url: str | None = None) -> World:
    """Create two teams of two reps, three deals each with a processed call (the first with audio)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    runner = RunnerSettings(poll_interval_s=0.2)
    settings = Settings(data_dir=data_dir, database_url=database_url, runner=runner)
    audio = settings.audio_dir / "ab" / "abcdef.wav"
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(wav_bytes(seconds=40.0))
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:  # the users outlive it
        org = make_org(session, managers=2, reps_per_manager=2)
        add_deals(session, owners=[org.reps[0]], count=3, audio_path=audio.resolve())
        add_deals(session, owners=org.reps[1:], count=6, calls_per_deal=2, seed=11)
        score_all(session)
        world = World(
            settings=settings,
            org=org,
            rep_deal=deal_ids_of(session, org.reps[0])[0],
            other_rep_deal=deal_ids_of(session, org.reps[1])[0],
            other_team_deal=deal_ids_of(session, org.reps[2])[0],
        )
    engine.dispose()
    return world


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    """The seeded world on SQLite, then on a fresh PostgreSQL schema (skipped when unreachable)."""
    url = request.getfixturevalue("postgres_schema_url") if request.param == "postgres" else None
    return seed_world(tmp_path / "var", url)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings, engines=Engines(world.settings))) as test_client:
        yield test_client


def sign_in(client: TestClient, world: World, email: str) -> None:
    """Sign the client in with the user's API key."""
    response = client.post(
        "/signin", data={"api_key": world.org.key(email), "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
