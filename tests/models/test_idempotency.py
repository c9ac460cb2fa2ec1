from __future__ import annotations

import datetime as dt

from sqlmodel import select

from models import crud
from models.tables import ApiKey
from tests.models.factories import make_user


def test_save_replay_and_purge(session):
    user = make_user(session)
    api_key = session.exec(select(ApiKey)).one()
    assert crud.get_idempotency_record(session, key="k1", api_key_id=api_key.id) is None
    args = {
        "key": "k1",
        "api_key_id": api_key.id,
        "user_id": user.id,
        "method": "put",
        "path": "/v1/crm/deals/CRM-1",
        "request_hash": "h" * 64,
    }
    first = crud.save_idempotency_record(session, **args, status_code=201, response_body={"id": 1})
    assert first.method == "PUT"
    again = crud.save_idempotency_record(session, **args, status_code=200, response_body={"id": 2})
    assert (again.id, again.status_code, again.response_body) == (first.id, 201, {"id": 1})
    found = crud.get_idempotency_record(session, key="k1", api_key_id=api_key.id)
    assert found.response_body == {"id": 1}
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert crud.purge_idempotency_records(session, older_than=future) == 1
    assert crud.get_idempotency_record(session, key="k1", api_key_id=api_key.id) is None
