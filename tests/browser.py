"""Headless Chromium for the web page tests (Debian's chromium + chromedriver, via Selenium)
and the helpers they share: open the page, ask, wait for an answer, click, screenshots, overflow."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import RELEASES, REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "tests" / "artifacts"
WAIT_S = 60.0
CONVERSATION_KEY = "specqa.conversation"  # where the page keeps the conversation (localStorage)
CHOICE_KEYS = ("specqa.release", "specqa.mode")  # the release and answer mode picked


@contextmanager
def chromium(profile: Path) -> Iterator[WebDriver]:
    """A headless Chromium at 1280x900 with its own profile folder."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(
            "the browser tests need Debian's chromium and chromium-driver "
            "(`make system-deps`, or apt-get install chromium chromium-driver)"
        )
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-proxy-server",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    browser.set_script_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


def open_page(
    driver: WebDriver, url: str, *, wait_releases: bool = True, keep_conversation: bool = False
) -> None:
    """Load the page; unless ``keep_conversation``, with no conversation stored from before."""
    driver.get("about:blank")
    driver.get(f"{url}/")
    kept = [CONVERSATION_KEY, *CHOICE_KEYS]
    if not keep_conversation and driver.execute_script(
        "return arguments[0].some(key => localStorage.getItem(key) !== null)", kept
    ):
        driver.execute_script("arguments[0].forEach(key => localStorage.removeItem(key))", kept)
        driver.get(f"{url}/")
    if wait_releases:
        until(driver, lambda d: len(release_values(d)) == len(RELEASES), "the releases to load")
    browser_log(driver)  # start each test with an empty console


def until(driver: WebDriver, check: Callable[[WebDriver], Any], what: str) -> Any:
    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(check)
    except TimeoutException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "web-timeout.png"))
        raise AssertionError(f"timed out waiting for {what}") from None


def release_values(driver: WebDriver) -> list[str]:
    values: list[str] = driver.execute_script(
        "return [...document.querySelectorAll('#release option')].map(o => o.value).filter(Boolean)"
    )
    return values


def ask(driver: WebDriver, question: str) -> None:
    box = driver.find_element(By.ID, "question")
    box.click()
    box.clear()  # a failed question stays in the box
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def wait_for_answer(driver: WebDriver) -> WebElement:
    """The last answer, once its stream has finished (successfully or with an error)."""
    until(
        driver,
        lambda d: d.execute_script(
            "const t = [...document.querySelectorAll('#thread .turn')].pop();"
            "return Boolean(t) && !t.querySelector('.badge-pending');"
        ),
        "the answer to finish",
    )
    turns = driver.find_elements(By.CSS_SELECTOR, "#thread .turn")
    return turns[-1]


def click(driver: WebDriver, element: WebElement) -> None:
    """Click like a user who first scrolls the element clear of the sticky header and composer."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def browser_log(driver: WebDriver) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = driver.execute("getLog", {"type": "browser"})["value"]
    return entries


def console_errors(driver: WebDriver) -> list[str]:
    return [e["message"] for e in browser_log(driver) if e["level"] == "SEVERE"]


def screenshot(driver: WebDriver, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG; ``full_page`` grows the viewport to the whole page for the shot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    if not full_page:
        assert driver.save_screenshot(str(path))
        return path
    width, height = driver.execute_script(
        "return [window.innerWidth, Math.min(document.scrollingElement.scrollHeight, 8000)]"
    )
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        driver.execute_script("window.scrollTo(0, 0)")
        assert driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def horizontal_overflow(driver: WebDriver) -> tuple[int, int]:
    sizes: list[int] = driver.execute_script(
        "return [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    return sizes[0], sizes[1]


def set_viewport(driver: WebDriver, size: tuple[int, int]) -> None:
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def type_into(driver: WebDriver, text: str) -> None:
    driver.execute_script(
        "const q = document.getElementById('question'); q.value = arguments[0];"
        "q.dispatchEvent(new Event('input'));",
        text,
    )


def reachable(driver: WebDriver, element: WebElement) -> bool:
    """On screen once scrolled to, and what a tap at its centre hits (not covered)."""
    return bool(
        driver.execute_script(
            "const e = arguments[0]; e.scrollIntoView({block: 'center'});"
            "const r = e.getBoundingClientRect();"
            "if (r.width === 0 || r.left < 0 || r.right > window.innerWidth) return false;"
            "const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
            "return hit !== null && (hit === e || e.contains(hit));",
            element,
        )
    )
