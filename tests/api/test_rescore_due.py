"""Incremental re-scoring: re-scoring only due deals leaves every stored risk as a full re-score would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.flows import rescore_pipeline, risk_config
from api.scheduler import PeriodicRescorer
from models import crud
from models.crud.risks import NEVER_STALE
from models.db import make_engine, migrate
from models.tables import ChangeEvent, Deal
from signals.risk import score_deal
from tests.models.conftest import db_url, postgres_schema_url  # noqa: F401, F811  (fixtures)
from tests.ui.seed import add_deals, make_org, score_all


def _pipeline(where: Path | str, *, reps: int, deals: int, calls: int, seed: int) -> sa.Engine:
    """A migrated database (a SQLite file's path, or a URL) with one manager's reps and their scored deals."""
    engine = make_engine(f"sqlite:///{where}" if isinstance(where, Path) else where)
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        org = make_org(session, managers=1, reps_per_manager=reps)
        add_deals(session, owners=org.reps, count=deals, calls_per_deal=calls, seed=seed)
        score_all(session)
    return engine


def _stored_equals_reference(session: Session, now: dt.datetime) -> None:
    config = risk_config(session)
    session.expire_all()
    for deal in session.exec(select(Deal).order_by(col(Deal.id))).all():
        risk = score_deal(crud.deal_state(session, deal=deal), now=now, config=config)
        assert (deal.risk_score, deal.risk_level, deal.risk_factors) == (
            risk.score,
            risk.level,
            [f.to_dict() for f in risk.factors],
        ), deal.id
        assert deal.risk_fresh_until is not None and deal.risk_fresh_until > now


def test_due_only_runs_keep_every_stored_risk_exact(tmp_path: Path) -> None:
    engine = _pipeline(tmp_path / "due.db", reps=3, deals=60, calls=2, seed=3)
    with Session(engine) as session:
        start = dt.datetime.now(dt.UTC)
        # Never stored with a freshness (scored before it was kept): every deal is due.
        first = rescore_pipeline(session, now=start, due_only=True, batch=7)
        assert first.deals == 60
        _stored_equals_reference(session, start)
        assert rescore_pipeline(session, now=start, due_only=True).deals == 0
        seen = []
        for hours in (1, 20, 26, 24 * 4, 24 * 15, 24 * 40):
            later = start + dt.timedelta(hours=hours)
            report = rescore_pipeline(session, now=later, due_only=True, batch=7)
            seen.append(report.deals)
            _stored_equals_reference(session, later)
        assert 0 < max(seen) and min(seen) < 60  # some runs are partial, none re-scores for nothing
        closed = session.exec(select(Deal).where(col(Deal.stage).in_(("closed_won", "closed_lost")))).all()
        assert closed and all(d.risk_fresh_until == NEVER_STALE for d in closed)
    engine.dispose()


def test_a_fresh_until_move_alone_writes_no_event_and_keeps_the_version(tmp_path: Path) -> None:
    engine = _pipeline(tmp_path / "quiet.db", reps=1, deals=5, calls=1, seed=4)
    with Session(engine) as session:
        rescore_pipeline(session)
        versions = session.exec(select(Deal.id, Deal.version).order_by(col(Deal.id))).all()
        events = session.exec(select(sa.func.count()).select_from(ChangeEvent)).one()
        table = Deal.__table__  # type: ignore[attr-defined]
        session.connection().execute(sa.update(table).values(risk_fresh_until=None))
        session.commit()
        report = rescore_pipeline(session, due_only=True)
        assert (report.deals, report.changed) == (5, 0)
        assert session.exec(select(Deal.id, Deal.version).order_by(col(Deal.id))).all() == versions
        assert session.exec(select(sa.func.count()).select_from(ChangeEvent)).one() == events
        assert all(d.risk_fresh_until is not None for d in session.exec(select(Deal)).all())
    engine.dispose()


def test_the_periodic_job_sweeps_everything_every_nth_run(tmp_path: Path, caplog) -> None:
    engine = _pipeline(tmp_path / "sweep.db", reps=1, deals=4, calls=1, seed=6)
    with Session(engine) as session:
        rescore_pipeline(session)
    rescorer = PeriodicRescorer(engine, interval_s=3600, full_every=2)
    with caplog.at_level("INFO", logger="dealsignal.scheduler"):
        rescorer.run_once()
        rescorer.run_once()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "re-scored 0 due deals",
        "re-scored 4 deals",
    ]
    engine.dispose()


def test_worker_processes_store_what_the_reference_scores(db_url: str) -> None:  # noqa: F811
    engine = _pipeline(db_url, reps=2, deals=40, calls=1, seed=8)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    with Session(engine) as session:
        before = session.exec(select(sa.func.max(ChangeEvent.id))).one() or 0
        report = rescore_pipeline(session, batch=6, workers=2, now=later)
        assert report.deals == 40 and report.changed > 20
        _stored_equals_reference(session, later)
        events = session.exec(
            select(ChangeEvent.entity_id).where(col(ChangeEvent.id) > before).order_by(col(ChangeEvent.id))
        ).all()
    engine.dispose()
    # One event per changed deal, in deal id order: the chunks were written in order.
    assert len(events) == report.changed and list(events) == sorted(events)
