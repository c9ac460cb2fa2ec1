"""Headless Chromium for the end-to-end tests (Debian's chromium + chromedriver, driven by Selenium)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def browser_missing() -> str | None:
    """Say why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs the selenium package"
    return None


def start_chromium(profile: Path, *, width: int = 1280, height: int = 900) -> Any:
    """Start headless Chromium with a fresh profile folder and return the Selenium driver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if profile.exists():
        shutil.rmtree(profile)
    profile.mkdir(parents=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    return driver


def full_page_screenshot(driver: Any, path: Path, *, width: int) -> None:
    """Save the whole page (not just the viewport) as a PNG."""
    driver.set_window_size(width, 900)  # lay the page out at this width before measuring it
    height = driver.execute_script("return Math.max(document.documentElement.scrollHeight, 400)")
    driver.set_window_size(width, min(int(height) + 140, 6000))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
