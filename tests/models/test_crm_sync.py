"""CRM sync in crud: bulk upserts in one transaction with a SAVEPOINT per record; contact change events."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from models import crud
from models.crud.changes import begin_for_savepoints, savepoint
from models.crud.crm_bulk import upsert_deals_from_crm
from models.enums import CallKind
from models.schemas import CallCreate, CrmDealUpsert
from models.tables import Account, ChangeEvent, Contact, Deal, DealStageHistory, Stakeholder
from tests.models.factories import deal_body, insights, make_deal, make_user, transcript

BOOM = "boom@wrecker.example"


def _install_tripwire(engine: Engine, table: str, condition: str, message: str) -> None:
    """Make the database itself refuse some inserts into `table`: a failure half-way through a record."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TRIGGER trip_{table} BEFORE INSERT ON {table} WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
            return
        connection.exec_driver_sql(
            f"CREATE FUNCTION trip_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {condition} THEN RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation'; "
            "END IF; RETURN NEW; END $$"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER trip_{table} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION trip_{table}()"
        )


def _record(external_id: str, **changes: Any) -> tuple[str, CrmDealUpsert]:
    return external_id, deal_body(**changes)


def _count(session: Session, table: Any, *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


def test_a_record_failing_half_way_writes_nothing_and_the_rest_commit_once(engine: Engine) -> None:
    _install_tripwire(engine, "contacts", f"NEW.email = '{BOOM}'", "contact refused")
    with Session(engine) as session:
        make_user(session)
        make_deal(session, external_id="OLD-1")
        before = _count(session, ChangeEvent)
        commits: list[int] = []
        sa.event.listen(engine, "commit", lambda _connection: commits.append(1))  # database COMMITs
        wrecker = {"name": "Wrecker deal", "account": "Wrecker Inc", "stage": "Proposal"}
        outcomes = upsert_deals_from_crm(
            session,
            records=[
                _record("NEW-2", account="Beta"),
                _record(
                    "BAD-1",
                    contacts=[{"name": "Bo Om", "email": BOOM, "title": "CFO"}],
                    **wrecker,
                ),
                _record("OLD-1", stage="Proposal", amount="52000"),
                _record("NOBODY-1", owner_email="ghost@seller.example"),
            ],
        )
        assert commits == [1]  # one transaction for the whole batch
        assert [o.created for o in outcomes] == [True, False, False, False]
        assert [o.deal is not None for o in outcomes] == [True, False, True, False]
        assert "contact refused" in (outcomes[1].error or "")
        assert "ghost@seller.example" in (outcomes[3].error or "")
        # The failed record left nothing: no deal, account, history, contact or change event.
        assert session.exec(select(Deal).where(Deal.external_id == "BAD-1")).first() is None
        assert _count(session, Account, col(Account.name) == "Wrecker Inc") == 0
        assert _count(session, Contact, col(Contact.email) == BOOM) == 0
        assert _count(session, DealStageHistory, col(DealStageHistory.to_stage) == "proposal") == 1  # OLD-1
        events = crud.list_changes(session, since=before)
        assert all(e.data.get("external_id") != "BAD-1" for e in events)
        assert all(e.data.get("account") != "Wrecker Inc" for e in events)
        deals = {(e.type, e.data["external_id"]) for e in events if e.entity == "deal"}
        assert deals == {("created", "NEW-2"), ("updated", "OLD-1")}
        old = crud.get_deal_by_external_id(session, external_id="OLD-1")
        assert old is not None and old.stage == "proposal" and old.version == 2


def test_bulk_results_follow_the_input_order_and_repeat_ids_update(engine: Engine) -> None:
    with Session(engine) as session:
        make_user(session)
        outcomes = upsert_deals_from_crm(
            session,
            records=[_record("Z-1"), _record("A-1"), _record("Z-1", amount="70000"), _record("M-1")],
        )
        assert [o.created for o in outcomes] == [True, True, False, True]
        z_deal = outcomes[0].deal
        assert z_deal is not None and outcomes[2].deal is not None and outcomes[2].deal.id == z_deal.id
        stored = crud.get_deal_by_external_id(session, external_id="Z-1")
        assert stored is not None and float(stored.amount or 0) == 70000
        # One contact shared by all four records: created once, then stakeholder of each deal.
        assert _count(session, Contact) == 1 and _count(session, Stakeholder) == 3
        again = upsert_deals_from_crm(session, records=[_record("A-1"), _record("M-1")])
        assert [(o.created, o.error) for o in again] == [(False, None), (False, None)]
        unchanged = crud.list_changes(session, since=max(e.id or 0 for e in crud.list_changes(session)))
        assert unchanged == []  # the same data again changes nothing, so the feed stays quiet


def test_contacts_from_the_crm_and_from_calls_reach_the_change_feed(session: Session) -> None:
    deal = make_deal(session)
    acme = session.get(Account, deal.account_id)
    assert acme is not None
    start = max(e.id or 0 for e in crud.list_changes(session))
    crud.upsert_contact(session, account=acme, name="Tom Becker", email="tom@acme.example", title="COO")
    crud.upsert_contact(session, account=acme, name="Tom Becker", email="tom@acme.example", title="COO")
    beta = crud.upsert_account(session, name="Beta")
    crud.upsert_contact(
        session, account=beta, name="Thomas Becker", email="TOM@acme.example", authoritative=True
    )
    session.commit()
    contact_events = [e for e in crud.list_changes(session, since=start) if e.entity == "contact"]
    assert [e.type for e in contact_events] == ["updated", "updated"]  # the repeat changed nothing
    assert contact_events[0].data["changes"] == {"title": ["IT Director", "COO"]}
    assert contact_events[1].data["changes"]["name"] == ["Tom Becker", "Thomas Becker"]
    assert (
        contact_events[1].data["account"] == "Beta" and contact_events[1].data["email"] == "tom@acme.example"
    )
    start = contact_events[-1].id
    call = crud.create_call(session, call_in=CallCreate(kind=CallKind.TRANSCRIPT, deal_id=deal.id))
    crud.save_call_results(session, call=call, transcript=transcript(), insights=insights())
    from_call = [e for e in crud.list_changes(session, since=start) if e.entity == "contact"]
    sarah = session.exec(select(Contact).where(Contact.name == "Sarah Chen")).one()
    assert ("created", sarah.id) in {(e.type, e.entity_id) for e in from_call}
    assert any(e.data["name"] == "Sarah Chen" and e.data["title"] == "CFO" for e in from_call)
    start = max(e.id or 0 for e in crud.list_changes(session))
    crud.save_call_results(session, call=call, transcript=transcript(), insights=insights())
    again = [e for e in crud.list_changes(session, since=start) if e.entity == "contact"]
    assert again == []  # re-analysis of the same call creates and changes no contact


def test_savepoints_nest_in_one_transaction_and_drop_their_own_events(engine: Engine) -> None:
    """A rollback after released savepoints undoes them too (pysqlite would have committed each)."""
    with Session(engine) as session:
        begin_for_savepoints(session)
        with savepoint(session):
            session.add(Account(name="Kept until the rollback"))
            crud.record_change(session, entity="deal", entity_id=1, type="kept")
        try:
            with savepoint(session):
                session.add(Account(name="Undone at once"))
                crud.record_change(session, entity="deal", entity_id=2, type="undone")
                session.flush()
                raise RuntimeError("this record fails")
        except RuntimeError:
            pass
        session.commit()
        assert [e.type for e in crud.list_changes(session)] == ["kept"]
        assert _count(session, Account) == 1
    with Session(engine) as session:
        begin_for_savepoints(session)
        with savepoint(session):
            session.add(Account(name="Released, then rolled back"))
        session.rollback()
        assert _count(session, Account) == 1 and len(crud.list_changes(session)) == 1


def test_the_feed_lock_is_taken_once_after_every_row_write(engine: Engine) -> None:
    statements: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()[:3]).upper())

    with Session(engine) as session:
        make_user(session)
        make_deal(session, external_id="L-0")
        sa.event.listen(engine, "before_cursor_execute", remember)
        upsert_deals_from_crm(
            session,
            records=[_record("L-0", stage="Proposal"), _record("L-1"), _record("L-2", account="Beta")],
        )
        sa.event.remove(engine, "before_cursor_execute", remember)
    feed = [i for i, s in enumerate(statements) if s.startswith("INSERT INTO CHANGE_EVENTS")]
    writes = [
        i
        for i, s in enumerate(statements)
        if s.split()[0] in ("INSERT", "UPDATE", "DELETE") and "CHANGE_EVENTS" not in s
    ]
    assert feed and writes and min(feed) > max(writes)  # the feed rows come last, in one go
    assert feed == list(range(feed[0], feed[-1] + 1))
    locks = [i for i, s in enumerate(statements) if "PG_ADVISORY_XACT_LOCK" in s]
    assert locks == ([] if engine.dialect.name == "sqlite" else [feed[0] - 1])


def test_concurrent_bulks_over_the_same_deals_lose_nothing(engine: Engine) -> None:
    """Two connectors send the same 30 deals in opposite orders at once: no deadlock, no error."""
    with Session(engine) as session:
        make_user(session)
    ids = [f"SHARED-{n:02d}" for n in range(30)]
    failures: list[str] = []

    def connector(order: list[str], amounts: range) -> None:
        for amount in amounts:
            with Session(engine) as session:
                outcomes = upsert_deals_from_crm(
                    session, records=[_record(i, amount=str(amount)) for i in order]
                )
                failures.extend(o.error for o in outcomes if o.error)

    threads = [
        threading.Thread(target=connector, args=(ids, range(1000, 1003))),
        threading.Thread(target=connector, args=(ids[::-1], range(2000, 2003))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with Session(engine) as session:
        deals = session.exec(select(Deal)).all()
        events = [e for e in crud.list_changes(session, limit=1000) if e.entity == "deal"]
    assert len(deals) == 30
    # Every write changed the amount, so each of the 6 batches wrote an event per deal.
    assert len(events) == 6 * 30 and len({e.id for e in events}) == len(events)
    assert {float(d.amount or 0) for d in deals} <= {1002.0, 2002.0}
    assert all(d.version == 6 for d in deals)  # created (1), then 5 updates


def test_rows_of_a_failed_record_are_not_reused_by_later_records(engine: Engine) -> None:
    """The bulk reads owners, accounts, contacts and stakeholders once; a rolled-back record's new
    rows must leave those maps, or a later record would point at rows that were never stored."""
    bad_deal = "(SELECT external_id FROM deals WHERE id = NEW.deal_id) = 'BAD-2'"
    _install_tripwire(engine, "stakeholders", bad_deal, "stakeholder refused")  # after its new contact
    shared = [{"name": "Nia Okafor", "email": "nia@newco.example", "title": "CFO"}]
    with Session(engine) as session:
        make_user(session)
        outcomes = upsert_deals_from_crm(
            session,
            records=[
                _record("BAD-2", account="Newco", contacts=shared),
                _record("GOOD-3", account="Newco", contacts=shared),
            ],
        )
        assert "stakeholder refused" in (outcomes[0].error or "") and outcomes[1].error is None
        good = outcomes[1].deal
        assert good is not None
        nia = session.exec(select(Contact).where(Contact.email == "nia@newco.example")).one()
        newco = session.exec(select(Account).where(Account.name == "Newco")).one()
        assert nia.account_id == newco.id
        assert (
            session.exec(select(Stakeholder).where(Stakeholder.deal_id == good.id)).one().contact_id == nia.id
        )
        assert session.exec(select(Deal).where(Deal.external_id == "BAD-2")).first() is None
        contact_events = [e for e in crud.list_changes(session) if e.entity == "contact"]
        assert [(e.type, e.entity_id) for e in contact_events] == [("created", nia.id)]
