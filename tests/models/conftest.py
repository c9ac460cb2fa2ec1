"""Database fixtures: every test gets a fresh, migrated database on SQLite and on PostgreSQL.

PostgreSQL tests run in a schema of their own (created here, dropped afterwards), so they
never depend on each other or touch other data in the database. When the server cannot be
reached they are skipped, unless DEALSIGNAL_REQUIRE_POSTGRES=1 makes that a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import make_engine, migrate

POSTGRES_URL = os.environ.get(
    "DEALSIGNAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@cache
def _postgres_problem() -> str | None:
    """Return why PostgreSQL is unusable, or None when it answers."""
    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL at {engine.url.render_as_string(hide_password=True)} unreachable: {exc.orig}"
    finally:
        engine.dispose()
    return None


def _require_postgres() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("DEALSIGNAL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{problem} (DEALSIGNAL_REQUIRE_POSTGRES=1)")
    pytest.skip(f"{problem}; set DEALSIGNAL_TEST_POSTGRES_URL, or DEALSIGNAL_REQUIRE_POSTGRES=1 to fail")


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """Yield a PostgreSQL URL whose search_path is a brand-new schema, dropped afterwards."""
    _require_postgres()
    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database: a temp SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'dealsignal.db'}"
        return
    yield request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """Yield an engine on a database migrated to the latest schema."""
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Yield a session on the migrated database."""
    with Session(engine) as session:
        yield session
