from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from models import crud
from models.errors import VersionConflictError
from models.tables import ChangeEvent, Contact, DealStageHistory
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
    contact = session.exec(select(Contact).where(Contact.email == "tom@acme.example")).one()
    assert [(e.entity, e.entity_id, e.type) for e in events] == [
        ("contact", contact.id, "created"),  # the deal's contact, queued as it was written
        ("deal", deal.id, "created"),
    ]
    assert events[1].data["changes"]["amount"] == [None, "48000.00"]


def test_change_ids_follow_commit_order(engine):
    with Session(engine) as slow, Session(engine) as fast:
        slow_deal = make_deal(slow)
        slow.exec(select(ChangeEvent)).all()  # slow's transaction is open and has read the feed
        crud.record_change(slow, entity="deal", entity_id=slow_deal.id, type="slow")  # recorded first ...
        crud.record_change(fast, entity="deal", entity_id=2, type="fast")
        fast.commit()
        slow.commit()  # ... committed last
    with Session(engine) as reader:
        assert [e.type for e in crud.list_changes(reader)][-2:] == ["fast", "slow"]


def test_queued_changes_do_not_outlive_their_transaction(session):
    crud.record_change(session, entity="deal", entity_id=1, type="dropped")
    session.close()
    crud.record_change(session, entity="deal", entity_id=1, type="kept")
    session.commit()
    assert [e.type for e in crud.list_changes(session)] == ["kept"]


def test_the_feed_lock_never_deadlocks_with_row_locks(engine):
    """A multi-deal transaction (like a rescore chunk) racing a single-deal write."""
    if engine.dialect.name != "postgresql":
        return  # SQLite has one writer at a time: no row locks to deadlock with
    with Session(engine) as setup:
        first, second = make_deal(setup, "D1").id, make_deal(setup, "D2").id
    errors: list[BaseException] = []
    with Session(engine) as chunk:
        crud.bump_version(chunk, deal=crud.get_deal(chunk, deal_id=first))  # row lock on D1
        crud.record_change(chunk, entity="deal", entity_id=first, type="chunk")

        def single_write() -> None:
            try:
                with Session(engine) as other:
                    crud.bump_version(other, deal=crud.get_deal(other, deal_id=second))  # row lock on D2
                    crud.record_change(other, entity="deal", entity_id=second, type="single")
                    other.commit()
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=single_write)
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive()  # the single write committed without waiting for the chunk
        crud.bump_version(chunk, deal=crud.get_deal(chunk, deal_id=second))  # may wait for D2
        chunk.commit()
        thread.join(timeout=30)
    assert errors == []
    with Session(engine) as reader:
        assert {"chunk", "single"} <= {e.type for e in crud.list_changes(reader)}
