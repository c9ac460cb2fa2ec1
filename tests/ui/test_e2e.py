"""End to end in a real headless Chromium against a real uvicorn server.

A rep signs in, accepts one next step with the mouse and one with the keyboard, edits a third,
and sees the changes on the deal pages; clicking a transcript line seeks the recording; a
manager opens the team review; a rep is refused another rep's deal. Screenshots go to
docs/screenshots/. Skipped without /usr/bin/chromium unless DEALSIGNAL_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.engines import Engines
from api.main import create_app
from tests.ui.browser import browser_missing, full_page_screenshot, start_chromium
from tests.ui.conftest import World, seed_world

REPO = Path(__file__).resolve().parents[2]
# DEALSIGNAL_SCREENSHOT_DIR moves them elsewhere (e.g. to keep CI from touching the work tree).
SHOTS = Path(os.environ.get("DEALSIGNAL_SCREENSHOT_DIR") or REPO / "docs" / "screenshots")
DESKTOP, PHONE = 1280, 390

_missing = browser_missing()
if _missing and os.environ.get("DEALSIGNAL_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"DEALSIGNAL_REQUIRE_BROWSER=1 but the browser tests cannot run: {_missing}")
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """A real uvicorn server on a free local port, over a freshly seeded data folder."""
    world = seed_world(tmp_path_factory.mktemp("e2e") / "var")
    port = _free_port()
    app = create_app(world.settings, engines=Engines(world.settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = start_chromium(tmp_path / "profile", width=DESKTOP)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, condition: Any, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def sign_in(driver: Any, base: str, world: World, email: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/signin")
    field = driver.find_element("id", "api_key")
    assert driver.find_element("css selector", "label[for=api_key]").text == "API key"
    field.send_keys(world.org.key(email))
    field.submit()
    wait_for(driver, lambda d: "/signin" not in d.current_url)


def shot(driver: Any, name: str, width: int = DESKTOP) -> None:
    full_page_screenshot(driver, SHOTS / f"{name}.png", width=width)
    driver.set_window_size(DESKTOP, 900)


def step_status(driver: Any, step_id: int) -> str:
    # One script call: the card's tag is replaced when the answer arrives (no stale element).
    script = f"var t = document.querySelector('#step-{step_id} .status-line .tag'); return t && t.textContent"
    return str(driver.execute_script(script))


def test_rep_reviews_next_steps_and_sees_them_on_the_deal(browser: Any, served: tuple[str, World]) -> None:
    base, world = served
    sign_in(browser, base, world, world.rep)
    cards = browser.find_elements("css selector", "li.step")
    assert len(cards) == 3, "one suggested next step per deal of the rep"
    ids = [int(c.get_attribute("data-step")) for c in cards]
    deals = [
        int(a.get_attribute("href").rsplit("/", 1)[1])
        for a in browser.find_elements("css selector", ".deal-group h2 a")
    ]
    shot(browser, "queue-desktop")
    shot(browser, "queue-phone", PHONE)

    # Accept with the mouse: the card updates in place (fetch), no reload.
    browser.find_element("css selector", f"#step-{ids[0]} button[value=accept]").click()
    wait_for(browser, lambda d: step_status(d, ids[0]) == "accepted")

    # Accept with the keyboard: j moves to the next card, a accepts it.
    from selenium.webdriver.common.action_chains import ActionChains

    browser.find_element("css selector", f"#step-{ids[1]}").send_keys("a")
    wait_for(browser, lambda d: step_status(d, ids[1]) == "accepted")

    # Edit with e: the form opens with the action focused.
    browser.find_element("css selector", f"#step-{ids[2]}").send_keys("e")
    action = browser.switch_to.active_element
    assert action.get_attribute("name") == "action"
    action.clear()
    action.send_keys("send the signed order form")
    owner = browser.find_element("id", f"owner-{ids[2]}")
    owner.clear()
    owner.send_keys("Pat Buyer")
    browser.execute_script(f"document.getElementById('due-{ids[2]}').value = '2031-01-15'")
    ActionChains(browser).click(
        browser.find_element("css selector", f"#step-{ids[2]} details button")
    ).perform()
    wait_for(browser, lambda d: step_status(d, ids[2]) == "edited")
    assert (
        browser.find_element("css selector", f"#step-{ids[2]} .action").text == "send the signed order form"
    )
    shot(browser, "queue-after-review")

    browser.get(f"{base}/deals/{deals[2]}")
    page = browser.find_element("tag name", "main").text
    assert "send the signed order form" in page and "Pat Buyer" in page and "2031-01-15" in page
    assert "edited" in browser.find_element("css selector", f"#step-{ids[2]} .status-line").text
    shot(browser, "deal-desktop")
    shot(browser, "deal-phone", PHONE)
    browser.get(f"{base}/deals/{deals[0]}")
    assert step_status(browser, ids[0]) == "accepted"


def test_clicking_a_transcript_line_seeks_the_recording(browser: Any, served: tuple[str, World]) -> None:
    base, world = served
    sign_in(browser, base, world, world.rep)
    browser.get(f"{base}/deals/{world.rep_deal}")
    browser.find_element("css selector", "a[href^='/calls/']:not([href*='#'])").click()
    wait_for(browser, lambda d: d.execute_script("return document.getElementById('player').readyState") >= 1)
    browser.find_element("id", "u3").click()
    wait_for(
        browser,
        lambda d: abs(d.execute_script("return document.getElementById('player').currentTime") - 12) < 1,
    )
    assert "has-objection" in browser.find_element("id", "u3").get_attribute("class")
    shot(browser, "call-desktop")
    shot(browser, "call-phone", PHONE)


def test_manager_opens_the_team_review(browser: Any, served: tuple[str, World]) -> None:
    base, world = served
    sign_in(browser, base, world, world.manager)
    browser.find_element("link text", "Team").click()
    wait_for(browser, lambda d: d.current_url.endswith("/team"))
    assert "Weekly pipeline review" in browser.find_element("tag name", "main").text
    assert browser.find_element("css selector", ".bars[role=img]").get_attribute("aria-label")
    shot(browser, "team-desktop")
    shot(browser, "team-phone", PHONE)
    browser.find_element("link text", "Forecast").click()
    wait_for(browser, lambda d: "/forecast" in d.current_url)
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "period")).select_by_index(1)  # next quarter
    browser.find_element("css selector", "form.filters button").click()
    wait_for(browser, lambda d: "period=" in d.current_url)
    assert browser.find_elements("css selector", ".stack .seg"), "the next quarter has weighted pipeline"
    shot(browser, "forecast-desktop")


def test_rep_is_refused_another_reps_deal_and_signs_out(browser: Any, served: tuple[str, World]) -> None:
    base, world = served
    sign_in(browser, base, world, world.rep)
    browser.get(f"{base}/deals/{world.other_rep_deal}")
    assert browser.find_element("tag name", "h1").text == "Not yours to see"
    assert "you may not see this deal" in browser.find_element("css selector", "[role=alert]").text.lower()
    shot(browser, "forbidden")
    browser.find_element("css selector", "form.signout button").click()
    wait_for(browser, lambda d: d.current_url.endswith("/signin"))
    browser.get(f"{base}/")
    assert "/signin" in browser.current_url
    shot(browser, "signin")
