from __future__ import annotations

import threading

from sqlmodel import Session, select

from models import crud
from models.tables import Account, Contact, Deal
from tests.models.factories import deal_body, make_user


def test_upsert_account_is_by_name(session):
    first = crud.upsert_account(session, name="Acme  Corp")
    again = crud.upsert_account(session, name=" Acme Corp ")
    session.commit()
    assert first.id == again.id and again.name == "Acme Corp"
    assert len(session.exec(select(Account)).all()) == 1


def test_upsert_contact_by_email_then_by_name(session):
    acme = crud.upsert_account(session, name="Acme")
    other = crud.upsert_account(session, name="Globex")
    tom = crud.upsert_contact(session, account=acme, name="Tom Becker")
    same = crud.upsert_contact(
        session, account=acme, name="tom  becker", email="Tom@Acme.example", title="CTO"
    )
    assert same.id == tom.id and (same.email, same.title) == ("tom@acme.example", "CTO")
    by_email = crud.upsert_contact(session, account=other, name="T. Becker", email="tom@acme.example")
    assert by_email.id == tom.id  # one person, one row, whatever name a call used
    namesake = crud.upsert_contact(session, account=acme, name="Tom Becker", email="tom.b@acme.example")
    assert namesake.id != tom.id
    elsewhere = crud.upsert_contact(session, account=other, name="Tom Becker")
    assert elsewhere.id not in (tom.id, namesake.id)
    session.commit()
    assert crud.find_contact(session, account=acme, name="TOM BECKER").id == tom.id
    assert len(session.exec(select(Contact)).all()) == 3


def test_concurrent_first_upserts_create_one_deal(engine):
    with Session(engine) as session:
        make_user(session)
    results: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def upsert() -> None:
        try:
            with Session(engine) as session:
                start.wait()
                _deal, created = crud.upsert_deal_from_crm(session, external_id="CRM-9", data=deal_body())
                results.append(created)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upsert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [False, True]
    with Session(engine) as session:
        assert len(session.exec(select(Deal)).all()) == 1
        assert len(session.exec(select(Account)).all()) == 1
