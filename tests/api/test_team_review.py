"""The fast weekly review (stored risk, window-only reads) equals the review over full states.

`inspection.team_review` reads each deal's stored risk while it is fresh and scores only the
stale ones; the reference is `signals.weekly_review` over every deal's full state, scored now.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.flows import rescore_pipeline, risk_config
from api.inspection import forecast, methodology_adherence, team_of, team_review_and_states, to_json
from extract.types import Framework
from models.crud import state_queries
from models.crud.review_data import adherence_elements
from models.db import make_engine, migrate
from models.enums import NextStepStatus, ObjectionStatus
from models.tables import Deal, DealStageHistory, NextStep, Objection
from signals.forecast import slipped_deals, weighted_pipeline
from signals.methodology import covered_elements
from signals.periods import quarter_of, week_of
from signals.review import weekly_review
from signals.risk import score_deal
from tests.ui.seed import add_deals, make_org, score_all


@pytest.fixture
def seeded(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'review.db'}")
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        org = make_org(session, managers=2, reps_per_manager=3)
        add_deals(session, owners=org.reps, count=150, calls_per_deal=2, seed=5)
        score_all(session)
        _vary(session)
        rescore_pipeline(session)  # what the periodic job leaves: every deal fresh
        yield session, org
    engine.dispose()


def _vary(session: Session) -> None:
    """Edited and rejected next steps, moves made this week (one by override), addressed objections."""
    now = dt.datetime.now(dt.UTC)
    steps = session.exec(select(NextStep).order_by(col(NextStep.id))).all()
    for n, step in enumerate(steps):
        if n % 5 == 0:
            step.edited_due = now.date() + dt.timedelta(days=n % 17 - 3)
            step.status = NextStepStatus.EDITED
        elif n % 7 == 0:
            step.status = NextStepStatus.REJECTED
    for deal_id in range(1, 150, 9):
        session.add(
            DealStageHistory(
                deal_id=deal_id,
                from_stage="discovery",
                to_stage="proposal",
                at=now - dt.timedelta(hours=deal_id),
                override_reason="CFO asked for it" if deal_id % 2 else None,
            )
        )
    session.commit()


def team_review(session: Session, **kwargs):
    return team_review_and_states(session, **kwargs)[0]


def _reference(session: Session, members, week: str, now: dt.datetime):
    owners = [m.id for m in members]
    states = state_queries.deal_states(session, owner_ids=owners)
    config = risk_config(session)
    return weekly_review(states, team_owner_ids={m.email for m in members}, week=week, now=now, config=config)


def _make_stale(session: Session, now: dt.datetime) -> list[int]:
    """Change some deals' evidence with their stored risk marked stale (or never scored)."""
    ids = [d for d in session.exec(select(Deal.id).order_by(col(Deal.id))).all() if d is not None][::6]
    table = state_queries.table(Deal)
    for n, deal_id in enumerate(ids):
        stale = None if n % 2 else now - dt.timedelta(seconds=1)
        session.connection().execute(
            sa.update(table).where(table.c.id == deal_id).values(risk_fresh_until=stale)
        )
        for objection in session.exec(select(Objection).where(Objection.deal_id == deal_id)).all():
            objection.status = ObjectionStatus.ADDRESSED
    session.commit()
    return ids


def test_fast_review_equals_the_full_review(seeded) -> None:
    session, org = seeded
    now = dt.datetime.now(dt.UTC)
    this_week = week_of(now.date())
    weeks = [this_week.label, week_of(this_week.start - dt.timedelta(days=7)).label, this_week.next().label]
    for manager in org.managers:
        members = team_of(session, manager)
        for week in weeks:
            fast = team_review(session, members=members, week=week, now=now, config=risk_config(session))
            assert to_json(fast) == to_json(_reference(session, members, week, now))
    assert fast.at_risk and fast.next_steps  # the data exercises every part


def test_stale_and_unscored_deals_are_scored_now(seeded) -> None:
    session, org = seeded
    now = dt.datetime.now(dt.UTC)
    changed = _make_stale(session, now)
    assert changed
    week = week_of(now.date()).label
    for manager in org.managers:
        members = team_of(session, manager)
        fast = team_review(session, members=members, week=week, now=now, config=risk_config(session))
        assert to_json(fast) == to_json(_reference(session, members, week, now))


def test_adherence_reads_the_same_evidence_as_full_states(seeded) -> None:
    session, org = seeded
    owners = [r.id for r in org.reps if r.id is not None]
    states = state_queries.deal_states(session, owner_ids=owners)
    elements = [(s.owner, covered_elements(s.methodology) if s.methodology else None) for s in states]
    assert any(e for _, e in elements)
    expected = [e for e, s in zip(elements, states, strict=True) if s.calls]
    assert adherence_elements(session, owner_ids=owners, processed_only=True) == expected
    assert adherence_elements(session, owner_ids=owners, processed_only=False) == elements
    result = methodology_adherence(
        session, members=team_of(session, org.managers[0]), framework=Framework.MEDDICC
    )
    assert result["team"] is not None and result["reps"]


def test_forecast_from_stored_scores_equals_scoring_every_deal(seeded) -> None:
    session, org = seeded
    now = dt.datetime.now(dt.UTC)
    _make_stale(session, now)
    config = risk_config(session)
    period = quarter_of(now.date())
    for owners in (None, [r.id for r in org.reps[:3]]):
        states = state_queries.deal_states(session, owner_ids=owners)
        scores = {s.id: score_deal(s, now=now, config=config).score for s in states}
        expected = [
            to_json(weighted_pipeline(states, config=config, scores=scores, period=period, currency="USD")),
            to_json(slipped_deals(states, period=period)),
        ]
        got = forecast(session, owner_ids=owners, period=period.label, now=now)
        assert [got["pipeline"][0], got["slipped"]] == expected
        assert expected[0]["adjusted"] != expected[0]["weighted"]  # the scores weigh in
