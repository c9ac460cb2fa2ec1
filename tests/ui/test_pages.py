"""Pages through a TestClient: sign-in and session cookie, roles, reviewing next steps, call audio."""

from __future__ import annotations

import re
import stat

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.ui import session as cookies
from models import crud
from models.db import make_engine
from models.enums import NextStepStatus
from models.tables import NextStep
from tests.ui.conftest import World, sign_in


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def first_step(world: World, deal_id: int) -> NextStep:
    engine = make_engine(world.settings.resolved_database_url)
    with Session(engine) as session:
        step = session.exec(select(NextStep).where(NextStep.deal_id == deal_id)).first()
    engine.dispose()
    assert step is not None
    return step


def test_sign_in_sets_a_strict_http_only_cookie(client: TestClient, world: World) -> None:
    assert 'type="password"' in client.get("/signin").text
    response = client.post("/signin", data={"api_key": world.org.key(world.rep)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{cookies.COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert world.org.key(world.rep) not in cookie  # the key itself never goes into the cookie
    assert "Review queue" in client.get("/").text


def test_a_wrong_key_is_refused(client: TestClient) -> None:
    response = client.post("/signin", data={"api_key": "ds_not-a-real-key-at-all"})
    assert response.status_code == 401
    assert "unknown or revoked" in response.text


def test_pages_need_a_session(client: TestClient, world: World) -> None:
    response = client.get(f"/deals/{world.rep_deal}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/deals/{world.rep_deal}"
    client.cookies.set(cookies.COOKIE_NAME, "1.99999999999.nonce.forged")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_returns_to_a_local_page_only(client: TestClient, world: World) -> None:
    data = {"api_key": world.org.key(world.rep), "next": "//evil.example/x"}
    assert client.post("/signin", data=data, follow_redirects=False).headers["location"] == "/"


def test_the_secret_file_is_private(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    mode = (world.settings.data_dir / cookies.SECRET_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_a_rep_cannot_open_another_reps_deal(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    assert client.get(f"/deals/{world.rep_deal}").status_code == 200
    response = client.get(f"/deals/{world.other_rep_deal}")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Not yours to see" in response.text
    assert client.get("/deals/999999").status_code == 404
    assert client.get("/team").status_code == 403
    assert client.get("/forecast").status_code == 403


def test_a_manager_sees_the_team_but_not_other_teams(client: TestClient, world: World) -> None:
    sign_in(client, world, world.manager)
    assert client.get(f"/deals/{world.other_rep_deal}").status_code == 200
    assert client.get(f"/deals/{world.other_team_deal}").status_code == 403
    page = client.get("/team")
    assert page.status_code == 200
    assert "Weekly pipeline review" in page.text and "Rep 1-2" in page.text
    assert "Rep 2-1" not in page.text


def test_leaders_see_the_forecast_and_any_team(client: TestClient, world: World) -> None:
    sign_in(client, world, world.org.leader.email if world.org.leader else "")
    assert client.get("/", follow_redirects=False).headers["location"] == "/forecast"
    forecast = client.get("/forecast")
    assert forecast.status_code == 200 and "Weighted pipeline per team" in forecast.text
    quarter = re.search(r"Forecast · (\d{4})-Q(\d)", forecast.text)
    assert quarter
    year, q = int(quarter.group(1)), int(quarter.group(2))
    labels = [f"{year + (q + i - 1) // 4}-Q{(q + i - 1) % 4 + 1}" for i in range(3)]
    pages = " ".join(client.get(f"/forecast?period={label}").text for label in labels)
    assert "Manager 1" in pages and "Manager 2" in pages
    assert client.get("/forecast?period=someday").status_code == 400
    second = world.org.managers[1].id
    assert "Rep 2-1" in client.get(f"/team?manager={second}").text
    assert client.get(f"/deals/{world.other_team_deal}").status_code == 200


def test_accepting_a_next_step_shows_on_the_deal_page(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    queue = client.get("/")
    step = first_step(world, world.rep_deal)
    assert f'id="step-{step.id}"' in queue.text
    form = {"decision": "accept", "csrf_token": csrf_of(queue.text), "back": f"/deals/{world.rep_deal}"}
    response = client.post(f"/next-steps/{step.id}/review", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/deals/{world.rep_deal}#step-{step.id}"
    assert first_step(world, world.rep_deal).status == NextStepStatus.ACCEPTED
    deal_page = client.get(f"/deals/{world.rep_deal}").text
    assert f'id="step-{step.id}"' in deal_page and "status-accepted" in deal_page
    assert f'id="step-{step.id}"' not in client.get("/").text  # no longer waiting for review


def test_editing_with_fetch_answers_json_and_updates_the_deal(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    token = csrf_of(client.get("/").text)
    step = first_step(world, world.rep_deal)
    form = {
        "decision": "edit",
        "csrf_token": token,
        "action": "send the signed order form",
        "owner": "Pat Buyer",
        "due": "2031-01-15",
    }
    response = client.post(f"/next-steps/{step.id}/review", data=form, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["action"], body["owner"], body["due"]) == (
        "edited",
        "send the signed order form",
        "Pat Buyer",
        "2031-01-15",
    )
    deal_page = client.get(f"/deals/{world.rep_deal}").text
    assert (
        "send the signed order form" in deal_page and "Pat Buyer" in deal_page and "2031-01-15" in deal_page
    )


def test_rejecting_and_bad_forms(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    token = csrf_of(client.get("/").text)
    step = first_step(world, world.rep_deal)
    url = f"/next-steps/{step.id}/review"
    assert client.post(url, data={"decision": "reject"}).status_code == 403  # no CSRF token
    assert client.post(url, data={"decision": "reject", "csrf_token": "0" * 64}).status_code == 403
    foreign = {"Origin": "http://evil.example"}
    assert (
        client.post(url, data={"decision": "reject", "csrf_token": token}, headers=foreign).status_code == 403
    )
    assert client.post(url, data={"decision": "maybe", "csrf_token": token}).status_code == 400
    assert client.post(url, data={"decision": "edit", "csrf_token": token, "due": "soon"}).status_code == 400
    assert first_step(world, world.rep_deal).status == NextStepStatus.SUGGESTED
    assert client.post(url, data={"decision": "reject", "csrf_token": token}).status_code == 200  # redirected
    assert first_step(world, world.rep_deal).status == NextStepStatus.REJECTED


def test_a_rep_cannot_review_another_reps_step(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    token = csrf_of(client.get("/").text)
    step = first_step(world, world.other_rep_deal)
    response = client.post(f"/next-steps/{step.id}/review", data={"decision": "accept", "csrf_token": token})
    assert response.status_code == 403
    assert first_step(world, world.other_rep_deal).status == NextStepStatus.SUGGESTED


def test_call_page_and_audio_with_ranges(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    call_id = first_step(world, world.rep_deal).call_id
    page = client.get(f"/calls/{call_id}")
    assert page.status_code == 200
    assert f'src="/calls/{call_id}/audio"' in page.text
    assert 'id="u6"' in page.text and "has-next-step" in page.text and "side-buyer" in page.text
    whole = client.get(f"/calls/{call_id}/audio")
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/x-wav"
    part = client.get(f"/calls/{call_id}/audio", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"].startswith("bytes 0-99/")


def test_another_reps_call_and_audio_are_refused(client: TestClient, world: World) -> None:
    sign_in(client, world, world.other_rep)
    call_id = first_step(world, world.rep_deal).call_id
    assert client.get(f"/calls/{call_id}").status_code == 403
    assert client.get(f"/calls/{call_id}/audio").status_code == 403


def test_sign_out_and_revoked_keys_end_the_session(client: TestClient, world: World) -> None:
    sign_in(client, world, world.rep)
    token = csrf_of(client.get("/").text)
    response = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and "Max-Age=0" in response.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).status_code == 303
    sign_in(client, world, world.rep)
    engine = make_engine(world.settings.resolved_database_url)
    with Session(engine) as session:
        assert crud.revoke_api_key(session, key=world.org.key(world.rep))
    engine.dispose()
    assert client.get("/", follow_redirects=False).headers["location"] == "/signin?next=/"


def test_pages_refuse_framing_and_foreign_sign_ins(client: TestClient, world: World) -> None:
    page = client.get("/signin")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    data = {"api_key": world.org.key(world.rep)}
    foreign = client.post(
        "/signin", data=data, headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    own = client.post("/signin", data=data, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert own.status_code == 303
