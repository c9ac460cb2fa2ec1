from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import Session, select

from models import crud
from models.errors import VersionConflictError
from models.tables import ChangeEvent, DealStageHistory
from tests.models.factories import make_deal


def test_record_and_list_changes(session):
    first = crud.record_change(session, entity="deal", entity_id=1, type="updated", data={"x": 1})
    second = crud.record_change(session, entity="risk", entity_id=1, type="risk_changed")
    session.commit()
    assert [e.id for e in crud.list_changes(session)] == [first.id, second.id]
    assert [e.id for e in crud.list_changes(session, since=first.id)] == [second.id]
    assert crud.list_changes(session, since=second.id) == []
    assert len(crud.list_changes(session, limit=1)) == 1
    page = crud.changes_to_public(crud.list_changes(session, since=first.id), first.id)
    assert page.next == second.id and page.changes[0].type == "risk_changed"
    assert crud.changes_to_public([], second.id).next == second.id


def test_a_rollback_leaves_no_change_event(session):
    crud.record_change(session, entity="deal", entity_id=1, type="updated", data={"x": 1})
    session.rollback()
    assert session.exec(select(ChangeEvent)).all() == []


def test_a_refused_write_leaves_no_change_event_and_no_history(session):
    deal = make_deal(session)
    before = [e.id for e in crud.list_changes(session)]
    with pytest.raises(VersionConflictError):
        crud.change_deal_stage(session, deal=deal, stage="proposal", by_user=None, expected_version=9)
    assert [e.id for e in crud.list_changes(session)] == before
    assert len(session.exec(select(DealStageHistory)).all()) == 1
    assert crud.get_deal(session, deal_id=deal.id).stage == "discovery"


def test_deal_writes_append_their_events(session):
    deal = make_deal(session)
    events = crud.list_changes(session)
    assert [(e.entity, e.entity_id, e.type) for e in events] == [("deal", deal.id, "created")]
    assert events[0].data["changes"]["amount"] == [None, "48000.00"]


def test_postgres_change_ids_follow_commit_order(engine):
    if engine.dialect.name != "postgresql":
        return  # SQLite has a single writer, so ids already follow commit order
    with Session(engine) as slow:
        crud.record_change(slow, entity="deal", entity_id=1, type="slow")  # holds the feed lock, uncommitted
        done = threading.Event()

        def fast_writer() -> None:
            with Session(engine) as fast:
                crud.record_change(fast, entity="deal", entity_id=2, type="fast")
                fast.commit()
            done.set()

        thread = threading.Thread(target=fast_writer)
        thread.start()
        time.sleep(0.5)
        assert not done.is_set()  # the second writer waits for the first to commit
        slow.commit()
        thread.join(timeout=10)
    with Session(engine) as reader:
        assert [e.type for e in crud.list_changes(reader)] == ["slow", "fast"]
