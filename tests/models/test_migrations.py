from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import models.tables  # noqa: F401
from models.db import alembic_config, current_revision, downgrade, make_engine, migrate

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_table_and_downgrade_removes_them(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == HEAD
        assert _tables(engine) == set(SQLModel.metadata.tables)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert _tables(engine) == set()
        migrate(db_url)  # by URL, and a second time from empty
        assert _tables(engine) == set(SQLModel.metadata.tables)
    finally:
        engine.dispose()


def test_there_is_one_head_and_the_first_revision_is_0001():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_migrate_twice_is_a_no_op(engine):
    migrate(engine)
    assert current_revision(engine) == HEAD


def test_migrations_match_the_table_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_0006_fills_each_calls_speakers_from_its_utterances(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine, "0005")
        now = "2026-11-02 10:00:00+00:00"
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO calls (id, kind, source, status, progress, attempts, created_at, updated_at,"
                    " options, model_versions) VALUES (:id, 'transcript', 'api', 'done', 1, 1, :at, :at,"
                    " '{}', '{}')"
                ),
                [{"id": 1, "at": now}, {"id": 2, "at": now}],
            )
            said = [("Dana", "rep"), ("Tom", "buyer"), ("Sarah", "buyer"), ("Tom", "buyer"), ("Al", "")]
            conn.execute(
                sa.text(
                    'INSERT INTO utterances (call_id, "index", speaker, side, start, "end", text)'
                    " VALUES (1, :i, :speaker, :side, :i, :i, 'hello')"
                ),
                [{"i": i, "speaker": speaker, "side": side} for i, (speaker, side) in enumerate(said)],
            )
        migrate(engine)
        calls = sa.table("calls", sa.column("id"), sa.column("speakers", sa.JSON))
        with engine.connect() as conn:
            found = dict(conn.execute(sa.select(calls.c.id, calls.c.speakers).order_by(calls.c.id)).all())
        assert found == {1: {"buyer": ["Sarah", "Tom"], "rep": ["Dana"]}, 2: None}  # 2 has no utterances
    finally:
        engine.dispose()
