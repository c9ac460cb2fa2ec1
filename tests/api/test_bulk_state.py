"""The batched deal-state builder agrees with the one-deal builder on real processed deals."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import crud
from models.crud.bulk_state import deal_states, iter_deal_states
from models.db import make_engine
from models.tables import Deal
from tests.api.conftest import REPO, Team, deal_body, wait_for_call

CALLS = ["train-a-04-logistics-negotiation.json", "train-b-07-banking-procurement.json"]


def test_bulk_states_equal_single_states(client: TestClient, team: Team, api_settings) -> None:
    for n, name in enumerate(CALLS):
        client.put(
            f"/v1/crm/deals/B-{n}", json=deal_body(close_date=f"2026-1{n}-01"), headers=team.auth("revops")
        )
        client.put(
            f"/v1/crm/deals/B-{n}",
            json=deal_body(close_date=f"2026-1{n}-20", stage="Proposal"),
            headers=team.auth("revops"),
        )
        document = json.loads((REPO / "fixtures" / "corpus" / "train" / name).read_text())
        document.pop("gold")
        call = client.post(
            "/v1/calls", json=document | {"deal_external_id": f"B-{n}"}, headers=team.auth("rep")
        )
        assert wait_for_call(client, call.json()["id"], team.auth("rep"))["status"] == "done"
    client.put("/v1/crm/deals/B-empty", json=deal_body(), headers=team.auth("revops"))
    engine = make_engine(api_settings.resolved_database_url)
    with Session(engine) as session:
        deals = session.exec(select(Deal).order_by(Deal.id)).all()
        single = [crud.deal_state(session, deal=d) for d in deals]
        assert deal_states(session, deals=deals) == single
        assert [state for _, state in iter_deal_states(session, batch=2)] == single
        assert (
            single[0].calls
            and single[0].stakeholders
            and single[0].next_steps
            and single[0].close_date_changes
        )
    engine.dispose()
