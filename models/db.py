"""Engines, sessions and schema migrations.

`make_engine` tunes SQLite (WAL, foreign keys, busy timeout, memory map and page cache) and
PostgreSQL (pre-ping) alike;
`migrate` runs the Alembic scripts in `models/migrations` programmatically, so neither the
CLI nor tests need an alembic.ini at the repository root.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Connection, Engine
from sqlmodel import Session

from models.errors import DatabaseUnavailableError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_MMAP_BYTES = 256 * 1024 * 1024  # address space, not memory: pages load as they are read
SQLITE_CACHE_KIB = 32 * 1024


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for `url` (SQLite file or PostgreSQL), creating a SQLite file's folder."""
    parsed = sa.make_url(url)
    # JSON columns (stored risk factors, insights) are read in bulk by reviews: orjson parses
    # them several times faster than the standard library, to the same values.
    kwargs.setdefault("json_deserializer", orjson.loads)
    if parsed.get_backend_name() != "sqlite":
        engine = sa.create_engine(parsed, pool_pre_ping=True, **kwargs)
        if parsed.get_backend_name() == "postgresql":
            sa.event.listen(engine, "connect", _utc_session)
        return engine
    in_memory = parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed)
    if not in_memory and parsed.database is not None:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = sa.create_engine(parsed, connect_args=connect_args, **kwargs)
    sa.event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
    return engine


def _utc_session(dbapi_connection: Any, _record: Any) -> None:
    """Run PostgreSQL sessions in UTC: timestamps come back with the `datetime.UTC` zone, which
    reads keep as they are (a re-score converted ~60,000 of them per 5,000 deals otherwise)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
    dbapi_connection.commit()  # a SET in a transaction the pool later rolls back would be undone


def _sqlite_pragmas(*, wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                # WAL lets the API read while the worker writes a call's results.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                # Reads through a memory map rather than read() calls, and a page cache per
                # connection that holds the hot indexes (pooled connections keep it warm).
                cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
                cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        finally:
            cursor.close()

    return on_connect


def describe(engine: Engine) -> str:
    """Return the engine's URL with any password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def check_connection(engine: Engine) -> None:
    """Open and close one connection, raising DatabaseUnavailableError when that fails."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        raise DatabaseUnavailableError(
            f"cannot connect to the database at {describe(engine)}: {exc.orig or exc}; "
            "check DEALSIGNAL_DATABASE_URL and that the server is running"
        ) from exc


def get_session(engine: Engine) -> Iterator[Session]:
    """Yield one session bound to `engine` and close it afterwards (a FastAPI dependency body)."""
    with Session(engine) as session:
        yield session


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic configuration in code, pointing at `models/migrations`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Upgrade the database schema to `revision` (default: the latest)."""
    _run_alembic(engine_or_url, lambda config: command.upgrade(config, revision))


def init_db(engine: Engine) -> None:
    """Bring the schema up to date; an alias of `migrate`, so migrations are the only schema source."""
    migrate(engine)


def downgrade(engine_or_url: Engine | str, revision: str = "base") -> None:
    """Downgrade the database schema to `revision` (default: an empty database)."""
    _run_alembic(engine_or_url, lambda config: command.downgrade(config, revision))


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    check_connection(engine)
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _run_alembic(engine_or_url: Engine | str, run: Any) -> None:
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        check_connection(engine)
        with engine.connect() as connection:
            _with_sqlite_fk_off(connection, lambda: _run_in_transaction(connection, run))
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


def _run_in_transaction(connection: Connection, run: Any) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    with connection.begin():
        run(config)


def _with_sqlite_fk_off(connection: Connection, body: Any) -> None:
    # Batch migrations copy SQLite tables; enforced foreign keys would cascade-delete on the
    # drop. The pragma only takes effect outside a transaction.
    if connection.dialect.name != "sqlite":
        body()
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        body()
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
