"""The pages' set-based reads agree with the per-deal crud functions they stand in for."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from models import crud
from models.crud import pages as page_queries
from models.db import make_engine
from models.enums import NextStepStatus, ReviewDecision
from models.schemas import NextStepReview
from models.tables import Deal, NextStep
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


def test_the_state_cache_rereads_only_changed_deals(world: World) -> None:
    from api.ui.cache import DealStateCache

    engine = make_engine(world.settings.resolved_database_url)
    cache = DealStateCache()
    owners = [u.id for u in world.org.reps if u.id is not None]
    with Session(engine) as session:
        assert cache.states(session, owner_ids=owners) == page_queries.deal_states(session, owner_ids=owners)
        step = session.exec(
            select(NextStep).where(NextStep.deal_id == world.other_rep_deal).order_by(col(NextStep.id))
        ).first()
        assert step is not None
        review = NextStepReview(decision=ReviewDecision.REJECT)
        crud.review_next_step(session, next_step=step, review=review, by_user=world.org.reps[1])
        after = cache.states(session, owner_ids=owners)
        assert after == page_queries.deal_states(session, owner_ids=owners)
        changed = next(s for s in after if s.id == str(world.other_rep_deal))
        assert changed.next_steps[0].status == NextStepStatus.REJECTED
        deal = session.get(Deal, world.other_rep_deal)
        assert deal is not None and changed == crud.deal_state(session, deal=deal)
    engine.dispose()
