"""Deal list (filters, cursor pagination, roles) and stage moves gated by criteria."""

from __future__ import annotations

from fastapi.testclient import TestClient

from models import crud
from tests.api.conftest import Team, deal_body


def _seed(client: TestClient, team: Team) -> None:
    for n in range(7):
        owner = "dana@seller.example" if n % 2 == 0 else "alex@seller.example"
        stage = "Discovery" if n < 4 else "Proposal"
        body = deal_body(owner=owner, stage=stage, close_date=f"2026-0{(n % 3) + 4}-15", name=f"Deal {n}")
        assert client.put(f"/v1/crm/deals/L-{n}", json=body, headers=team.auth("revops")).status_code == 201


def test_list_scopes_by_role(client: TestClient, team: Team) -> None:
    _seed(client, team)
    names = lambda who: {d["name"] for d in client.get("/v1/deals", headers=team.auth(who)).json()["data"]}  # noqa: E731
    assert names("rep") == {"Deal 0", "Deal 2", "Deal 4", "Deal 6"}
    assert names("other_rep") == {"Deal 1", "Deal 3", "Deal 5"}
    assert names("manager") == names("rep")
    assert len(names("leader")) == len(names("revops")) == 7
    assert client.get("/v1/deals").status_code == 401


def test_list_filters(client: TestClient, team: Team) -> None:
    _seed(client, team)
    get = lambda **q: client.get("/v1/deals", params=q, headers=team.auth("leader")).json()["data"]  # noqa: E731
    assert {d["stage"] for d in get(stage="proposal")} == {"proposal"}
    assert len(get(stage="Proposal")) == 3
    assert {d["owner_email"] for d in get(owner="alex@seller.example")} == {"alex@seller.example"}
    assert {d["owner_email"] for d in get(team="sam@seller.example")} == {"dana@seller.example"}
    assert {d["close_date"][:7] for d in get(close_period="2026-05")} == {"2026-05"}
    assert len(get(close_period="2026-Q2")) == 7
    bad = client.get("/v1/deals", params={"close_period": "someday"}, headers=team.auth("leader"))
    assert bad.status_code == 422


def test_cursor_pagination_visits_each_deal_once(client: TestClient, team: Team) -> None:
    _seed(client, team)
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/deals", params=params, headers=team.auth("leader")).json()
        seen += [d["id"] for d in page["data"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert (
        client.get("/v1/deals", params={"cursor": "garbage!"}, headers=team.auth("leader")).status_code == 422
    )


def test_stage_move_refused_with_unmet_criteria_then_overridden(client: TestClient, team: Team) -> None:
    deal = client.put(
        "/v1/crm/deals/S-1", json=deal_body(stage="Qualified"), headers=team.auth("revops")
    ).json()
    path = f"/v1/deals/{deal['id']}/stage"
    refused = client.post(path, json={"stage": "Commit"}, headers=team.auth("rep"))
    assert refused.status_code == 409
    codes = {c["code"] for c in refused.json()["unmet"]}
    assert {"economic_buyer_on_call", "confirmed_next_step", "decision_maker_known"} <= codes
    assert client.get(f"/v1/deals/{deal['id']}", headers=team.auth("rep")).json()["stage"] == "qualified"

    moved = client.post(
        path, json={"stage": "Commit", "override_reason": "CFO verbally agreed"}, headers=team.auth("rep")
    )
    assert moved.status_code == 200
    assert moved.json()["stage"] == "commit"
    last = moved.json()["stage_history"][-1]
    assert last["override_reason"] == "CFO verbally agreed" and last["by"] == "dana@seller.example"
    risk_codes = {f["code"] for f in moved.json()["risk"]["factors"]}
    assert "stage_criteria_unmet" in risk_codes


def test_stage_move_roles_and_stale_version(client: TestClient, team: Team) -> None:
    deal = client.put(
        "/v1/crm/deals/S-2", json=deal_body(stage="Awareness"), headers=team.auth("revops")
    ).json()
    path = f"/v1/deals/{deal['id']}/stage"
    body = {"stage": "Qualified", "override_reason": "met at a conference"}
    assert client.post(path, json=body, headers=team.auth("other_rep")).status_code == 403
    assert client.post(path, json=body, headers=team.auth("leader")).status_code == 403
    stale = client.post(path, json=body, headers=team.auth("rep") | {"If-Match": '"0"'})
    assert stale.status_code == 412
    current = client.get(f"/v1/deals/{deal['id']}", headers=team.auth("rep")).headers["ETag"]
    ok = client.post(path, json=body, headers=team.auth("manager") | {"If-Match": current})
    assert ok.status_code == 200
    assert client.post(path, json={"stage": "Negotiating"}, headers=team.auth("rep")).status_code == 422


def test_a_manager_lists_exactly_the_deals_it_may_open(client: TestClient, team: Team, api_settings) -> None:
    # Quinn (a manager) reports to Sam: Sam lists and opens Dana's deals, not those of Quinn's rep.
    from sqlmodel import Session

    from models.db import make_engine
    from models.tables import User

    engine = make_engine(api_settings.database_url)
    with Session(engine) as session:
        sam = crud.get_user_by_email(session, email="sam@seller.example")
        quinn = crud.get_user_by_email(session, email="quinn@seller.example")
        assert sam is not None and quinn is not None
        session.get(User, quinn.id).manager_id = sam.id  # type: ignore[union-attr]
        session.commit()
    engine.dispose()
    _seed(client, team)
    listed = client.get("/v1/deals", headers=team.auth("manager")).json()["data"]
    assert {d["owner_email"] for d in listed} == {"dana@seller.example"}
    for deal in client.get("/v1/deals", headers=team.auth("revops")).json()["data"]:
        opened = client.get(f"/v1/deals/{deal['id']}", headers=team.auth("manager")).status_code
        assert opened == (200 if deal["owner_email"] == "dana@seller.example" else 403)
