from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from models import crud
from models.enums import Role
from models.errors import AlreadyExistsError, NotFoundError
from models.tables import ApiKey


def test_create_user_returns_a_key_stored_only_as_a_hash(session):
    user, key = crud.create_user(session, name="Dana Ruiz", email=" Dana@Seller.example ", role="rep")
    assert user.email == "dana@seller.example" and user.role == Role.REP
    assert key.startswith("ds_") and len(key) > 40
    row = session.exec(select(ApiKey)).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.prefix == key[3:11]
    assert key not in (row.key_hash, row.prefix)


def test_get_user_by_api_key(session):
    user, key = crud.create_user(session, name="Dana", email="dana@seller.example", role=Role.REP)
    assert crud.get_user_by_api_key(session, key=key).id == user.id
    assert crud.get_api_key(session, key=key).last_used_at is not None
    assert crud.get_user_by_api_key(session, key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert crud.get_user_by_api_key(session, key="ds_short") is None
    assert crud.get_user_by_api_key(session, key="") is None


def test_revoked_keys_and_inactive_users_are_refused(session):
    user, key = crud.create_user(session, name="Dana", email="dana@seller.example", role=Role.REP)
    second = crud.create_api_key(session, user=user)
    assert crud.revoke_api_key(session, key=key)
    assert crud.get_user_by_api_key(session, key=key) is None
    assert crud.get_user_by_api_key(session, key=second).id == user.id
    user.active = False
    session.commit()
    assert crud.get_user_by_api_key(session, key=second) is None


def test_duplicate_email_and_unknown_manager_are_refused(session):
    crud.create_user(session, name="Dana", email="dana@seller.example", role=Role.REP)
    with pytest.raises(AlreadyExistsError):
        crud.create_user(session, name="Dana 2", email="DANA@seller.example", role=Role.REP)
    with pytest.raises(NotFoundError, match="manager"):
        crud.create_user(
            session, name="Rep", email="rep@seller.example", role="rep", manager_email="x@y.example"
        )


def test_team_includes_indirect_reports(session):
    leader, _ = crud.create_user(session, name="Lee", email="lee@seller.example", role=Role.LEADER)
    manager, _ = crud.create_user(
        session, name="Max", email="max@seller.example", role=Role.MANAGER, manager_email="lee@seller.example"
    )
    rep, _ = crud.create_user(
        session, name="Rae", email="rae@seller.example", role=Role.REP, manager_email="max@seller.example"
    )
    assert rep.manager_id == manager.id
    assert {u.email for u in crud.list_team(session, manager=manager)} == {"rae@seller.example"}
    assert {u.email for u in crud.list_team(session, manager=leader)} == {
        "max@seller.example",
        "rae@seller.example",
    }
    assert crud.list_team(session, manager=rep) == []
