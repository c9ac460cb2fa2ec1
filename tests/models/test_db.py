from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models.db import check_connection, get_session, make_engine, migrate
from models.errors import DatabaseUnavailableError
from models.sqltypes import sqlite_text_to_utc
from models.tables import Account, Deal
from tests.models.factories import make_deal


def test_sqlite_engine_creates_folder_and_sets_pragmas(tmp_path):
    path = tmp_path / "nested" / "dir" / "db.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert path.exists()
    finally:
        engine.dispose()


def test_unreachable_postgres_raises_a_clear_error():
    engine = make_engine("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseUnavailableError, match="cannot connect to the database") as info:
        check_connection(engine)
    assert "secret" not in str(info.value)
    with pytest.raises(DatabaseUnavailableError):
        migrate(engine)


def test_unopenable_sqlite_raises_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")
    with pytest.raises(DatabaseUnavailableError, match="DEALSIGNAL_DATABASE_URL"):
        check_connection(engine)


def test_get_session_yields_and_closes(engine):
    sessions = get_session(engine)
    session = next(sessions)
    assert session.exec(select(Account)).all() == []
    with pytest.raises(StopIteration):
        next(sessions)


def test_foreign_keys_are_enforced(session):
    session.add(Deal(external_id="X", name="x", account_id=999, owner_id=999, stage="discovery"))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_timestamps_come_back_aware_utc_and_amounts_exact(engine):
    with Session(engine) as session:
        deal = make_deal(session, amount=Decimal("1234567.89"))
        deal_id = deal.id
    with Session(engine) as session:
        deal = session.get(Deal, deal_id)
        assert deal.amount == Decimal("1234567.89")
        assert deal.created_at.tzinfo is not None and deal.created_at.utcoffset() == dt.timedelta(0)


def test_naive_datetimes_are_refused(session):
    make_deal(session)
    deal = session.exec(select(Deal)).one()
    deal.last_buyer_activity = dt.datetime(2026, 1, 1)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.commit()


def test_in_memory_sqlite_with_static_pool_migrates():
    from sqlalchemy.pool import StaticPool

    engine = make_engine("sqlite://", poolclass=StaticPool)
    try:
        migrate(engine)
        with Session(engine) as session:
            make_deal(session)
            assert session.exec(select(Deal)).one().external_id == "CRM-1"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05 01:38:16.123456", dt.datetime(2026, 12, 5, 1, 38, 16, 123456, tzinfo=dt.UTC)),
        ("2026-12-05 01:38:16", dt.datetime(2026, 12, 5, 1, 38, 16, tzinfo=dt.UTC)),  # SQL CURRENT_TIMESTAMP
        ("2026-12-05T03:38:16+02:00", dt.datetime(2026, 12, 5, 1, 38, 16, tzinfo=dt.UTC)),  # written by hand
        (None, None),
    ],
)
def test_sqlite_timestamp_text_reads_back_as_aware_utc(text, expected):
    got = sqlite_text_to_utc(text)
    assert got == expected and (got is None or got.tzinfo is dt.UTC)


def test_stored_timestamps_keep_their_microseconds(engine):
    at = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    with Session(engine) as session:
        deal = make_deal(session)
        deal.created_at = at
        session.add(deal)
        session.commit()
        deal_id = deal.id
    with Session(engine) as session:
        assert session.get(Deal, deal_id).created_at == at.astimezone(dt.UTC)
