"""The pages' set-based reads agree with the per-deal crud functions they stand in for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from api.jsonable import to_json
from api.ui.access import team_of
from api.ui.cache import PerDealCache
from api.ui.forecast import forecast_summary
from api.ui.team import team_summary
from extract.types import Framework
from models import crud
from models.crud import pages as page_queries
from models.db import make_engine
from models.enums import NextStepStatus, ReviewDecision
from models.schemas import NextStepReview
from models.tables import Deal, NextStep
from signals.periods import quarter_of, week_of
from tests.ui.conftest import World


def test_deal_states_match_crud_deal_state(world: World) -> None:
    engine = make_engine(world.settings.resolved_database_url)
    with Session(engine) as session:
        step = session.exec(select(NextStep).where(NextStep.deal_id == world.rep_deal)).one()
        review = NextStepReview(decision=ReviewDecision.EDIT, action="call the CFO", due=dt.date(2031, 1, 2))
        crud.review_next_step(session, next_step=step, review=review, by_user=world.org.reps[0])
        deals = session.exec(select(Deal).order_by(col(Deal.id))).all()
        expected = [crud.deal_state(session, deal=d) for d in deals]
        assert page_queries.deal_states(session, owner_ids=None) == expected
        team = [u.id for u in world.org.reps[:2] if u.id is not None]
        assert page_queries.deal_states(session, owner_ids=team) == [
            s for s in expected if s.owner in {world.rep, world.other_rep}
        ]
        light = page_queries.deal_states(session, owner_ids=None, full=False)
        assert [(s.id, s.amount, s.close_date_changes) for s in light] == [
            (s.id, s.amount, s.close_date_changes) for s in expected
        ]
    engine.dispose()


def test_review_queue_lists_only_suggested_steps_of_the_owners(world: World) -> None:
    engine = make_engine(world.settings.resolved_database_url)
    with Session(engine) as session:
        since = dt.date.today() - dt.timedelta(days=60)
        rep = world.org.reps[0]
        items = page_queries.review_queue(session, owner_ids=[rep.id or 0], since=since)
        assert {i.owner_id for i in items} == {rep.id}
        assert all(i.step.status == NextStepStatus.SUGGESTED and i.start == 24.0 for i in items)
        assert len(page_queries.review_queue(session, owner_ids=None, since=since, limit=4)) == 4
    engine.dispose()


class CountingCache(PerDealCache):
    """A per-deal cache that remembers how many deals each recomputation had to read."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[int] = []

    def values(self, kind: Any, deals: Any, load: Any) -> Any:
        def counted(ids: list[int]) -> Any:
            self.loaded.append(len(ids))
            return load(ids)

        return super().values(kind, deals, counted)


def _summaries(session: Session, world: World, deals: PerDealCache | None) -> Any:
    now = dt.datetime.now(dt.UTC)
    lead = world.org.managers[0]
    week = week_of(now.date()).label
    team = team_summary(session, lead, team_of(session, lead), week, Framework.MEDDICC, now, deals)
    forecast = forecast_summary(session, None, quarter_of(now.date()), now, deals)
    return to_json(team), to_json(forecast)


def test_the_per_deal_cache_rereads_only_changed_deals_and_agrees_with_a_full_read(world: World) -> None:
    engine = make_engine(world.settings.resolved_database_url)
    cache = CountingCache()
    with Session(engine) as session:
        deals = len(session.exec(select(Deal.id)).all())
        assert _summaries(session, world, cache) == _summaries(session, world, None)
        assert sum(cache.loaded) > 1
        cache.loaded.clear()
        assert _summaries(session, world, cache) == _summaries(session, world, None)
        assert cache.loaded == []  # nothing changed: nothing read again
        step = session.exec(
            select(NextStep).where(NextStep.deal_id == world.rep_deal).order_by(col(NextStep.id))
        ).first()
        assert step is not None
        review = NextStepReview(decision=ReviewDecision.EDIT, action="call the CFO", due=dt.date.today())
        crud.review_next_step(session, next_step=step, review=review, by_user=world.org.reps[0])
        after = _summaries(session, world, cache)
        assert cache.loaded == [1, 1]  # the reviewed deal, once for the team page, once for the forecast
        assert after == _summaries(session, world, None) and deals > 2
    engine.dispose()
