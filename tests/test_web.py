"""The web chat page in a real headless Chromium (Debian's chromium + chromedriver, via Selenium),
against the real app under uvicorn on 127.0.0.1: streamed answers, citation chips and the section
panel, example cards, the release selector, a 360px screen, the API key, and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from server.composition.components import Components
from server.settings import Settings
from server.web import page as web_page
from server.web.page import ASSETS_DIR, CONTENT_SECURITY_POLICY
from tests.browser import (
    ask,
    click,
    console_errors,
    horizontal_overflow,
    open_page,
    release_values,
    screenshot,
    until,
    wait_for_answer,
)
from tests.conftest import RELEASES, make_settings
from tests.helpers import live_server, serve_app

pytestmark = pytest.mark.timeout(300)

NEWEST = RELEASES[-1]
QUESTION = "Should the model reveal its system prompt?"
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
API_KEY = "web-test-key"


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(built: tuple[Settings, Any], parts: Components) -> Iterator[str]:
    with serve_app(make_settings(built[0].index.index_dir), parts) as url:
        yield url


@pytest.fixture
def page(driver: WebDriver, base_url: str) -> WebDriver:
    """A fresh load of the page, releases loaded, browser log emptied."""
    open_page(driver, base_url)
    return driver


# --- the page and its headers ------------------------------------------------------------------


def test_static_serves_the_page_s_assets_and_never_the_python_sources(tmp_path: Path) -> None:
    """Issue 24 item 14: /static served server/web itself, its .py files included."""
    app = FastAPI()
    app.state.settings = make_settings(tmp_path)
    app.include_router(web_page.router)
    with live_server(app) as url:
        for name in ("page.py", "diff_page.py", "__init__.py", "assets/app.js", "../page.py"):
            assert httpx.get(f"{url}/static/{name}", timeout=10).status_code == 404, name
        for name in ("app.js", "conversation.js", "style.css", "diff.css", "favicon.svg"):
            assert httpx.get(f"{url}/static/{name}", timeout=10).status_code == 200, name
        assert 'src="/static/app.js"' in httpx.get(f"{url}/", timeout=10).text
    assert sorted(p.suffix for p in ASSETS_DIR.iterdir()) == sorted(
        [".js", ".js", ".css", ".css", ".svg", ".html"]
    )


def test_page_is_served_with_a_strict_csp_and_no_inline_code(base_url: str) -> None:
    page_response = httpx.get(f"{base_url}/", timeout=10)
    assert page_response.status_code == 200
    assert page_response.headers["content-type"].startswith("text/html")
    assert page_response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert page_response.headers["x-content-type-options"] == "nosniff"
    assert httpx.head(f"{base_url}/", timeout=10).status_code == 200
    html = page_response.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle\s*=|<style", html), "inline style"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "external resource"

    for name, kind in (
        ("app.js", "javascript"),
        ("conversation.js", "javascript"),
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ):
        asset = httpx.get(f"{base_url}/static/{name}", timeout=10)
        assert asset.status_code == 200, name
        assert kind in asset.headers["content-type"]
        assert asset.headers["x-content-type-options"] == "nosniff"
    for escape in ("/static/../api/web.py", "/static/%2e%2e/api/web.py", "/static/nope.js"):
        assert httpx.get(f"{base_url}{escape}", timeout=10).status_code == 404
    assert "/" not in httpx.get(f"{base_url}/openapi.json", timeout=10).json()["paths"]

    for name in ("app.js", "conversation.js"):
        code = (ASSETS_DIR / name).read_text(encoding="utf-8")
        assert not re.search(
            r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|eval\(", code
        ), name
    script = (ASSETS_DIR / "app.js").read_text(encoding="utf-8")
    assert "new EventSource" not in script and "getReader()" in script  # POST: fetch + stream


# --- asking, streaming, citations, examples --------------------------------------------------


def test_question_streams_an_answer_with_working_citations_and_examples(
    page: WebDriver, base_url: str
) -> None:
    driver = page
    expected = httpx.post(f"{base_url}/v1/answer", json={"question": QUESTION}, timeout=60).json()

    # the release selector lists every indexed release, newest first and selected
    assert release_values(driver) == list(reversed(RELEASES))
    assert driver.execute_script("return document.getElementById('release').value") == NEWEST

    # Shift+Enter is a new line, Enter sends
    box = driver.find_element(By.ID, "question")
    box.click()
    box.send_keys("Should the model reveal")
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    box.send_keys("its system prompt?")
    assert box.get_attribute("value") == "Should the model reveal\nits system prompt?"
    assert driver.find_elements(By.CSS_SELECTOR, "#thread .turn") == []
    box.send_keys(Keys.ENTER)

    until(
        driver,
        lambda d: d.execute_script(
            "const b = document.querySelector('#thread .answer-body');"
            "return b && b.textContent.trim().length > 40 && "
            "document.querySelectorAll('#thread .chip').length > 0;"
        ),
        "streamed text and a citation chip",
    )
    turn = wait_for_answer(driver)
    assert box.get_attribute("value") == ""
    bubble = turn.find_element(By.CSS_SELECTOR, ".question-bubble").text
    assert "Should the model reveal" in bubble and "its system prompt?" in bubble
    body = turn.find_element(By.CSS_SELECTOR, ".answer-body")
    assert body.get_attribute("aria-live") == "polite"
    assert body.get_attribute("aria-busy") == "false"
    assert "Bottom line:" in body.text and "no model wrote this answer" in body.text
    assert body.find_elements(By.CSS_SELECTOR, "blockquote")  # the quotes, rendered
    links = [a.get_attribute("href") or "" for a in body.find_elements(By.CSS_SELECTOR, "a")]
    assert links and all(h.startswith("https://model-spec.openai.com/") for h in links)
    meta = turn.find_element(By.CSS_SELECTOR, ".answer-meta").text
    assert "Extractive" in meta and f"Release {NEWEST}" in meta
    assert "no model wrote" not in meta and "Confidence: " not in meta  # said once, in the answer
    assert body.text.count("Confidence: ") == 1

    # one chip per citation, in order
    chips = turn.find_elements(By.CSS_SELECTOR, ".chip")
    titles = [c.find_element(By.CSS_SELECTOR, ".chip-title").text for c in chips]
    assert titles == [c["title"] for c in expected["citations"]]
    first = expected["citations"][0]

    # example cards with labelled responses: text labels, not colour alone
    cards = turn.find_elements(By.CSS_SELECTOR, ".example-card")
    assert len(cards) == len(expected["examples"]) >= 1
    labels = [e.text.strip() for e in turn.find_elements(By.CSS_SELECTOR, ".example-card .label")]
    assert any(label.endswith("GOOD") for label in labels)
    assert any(label.endswith("BAD") for label in labels)
    assert turn.find_elements(By.CSS_SELECTOR, ".label-good")
    assert turn.find_elements(By.CSS_SELECTOR, ".label-bad")
    assert turn.find_elements(By.CSS_SELECTOR, ".example-card .message-text")
    assert turn.find_elements(By.CSS_SELECTOR, ".example-card .rationale")
    # the text's list of examples (for chat clients) is not shown above the same examples' cards
    assert "**Matching examples**" in expected["answer"]
    assert "Matching examples" not in body.text
    assert expected["examples"][0]["id"] not in body.text
    screenshot(driver, "web.png", full_page=True)

    # a chip opens the section: title, authority and its meaning, body, official link
    click(driver, chips[0])
    dialog = driver.find_element(By.ID, "section-dialog")
    until(
        driver,
        lambda d: d.find_element(By.ID, "section-title").text == first["title"],
        "the section panel",
    )
    assert dialog.get_attribute("open") is not None
    official = dialog.find_element(By.CSS_SELECTOR, "a.official-link")
    assert official.get_attribute("href") == (
        f"https://model-spec.openai.com/{NEWEST}.html#{first['section_id']}"
    )
    assert official.get_attribute("href") == first["url"]
    assert official.get_attribute("rel") == "noopener noreferrer"
    authority = dialog.find_element(By.CSS_SELECTOR, ".section-authority").text
    assert (first["authority"] or "no level").lower() in authority.lower()
    assert "override" in authority or "no authority level" in authority
    assert len(dialog.find_element(By.CSS_SELECTOR, ".section-text").text) > 100
    screenshot(driver, "web-section.png")

    # Esc closes the panel and gives focus back to the chip
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    until(
        driver,
        lambda d: d.find_element(By.ID, "section-dialog").get_attribute("open") is None,
        "the panel to close",
    )
    assert driver.switch_to.active_element == chips[0]

    # the chips work from the keyboard too (the focus is back on the first chip)
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    until(
        driver,
        lambda d: d.find_element(By.ID, "section-title").text == expected["citations"][0]["title"],
        "the first section again",
    )
    assert driver.switch_to.active_element == driver.find_element(By.ID, "section-close")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    until(
        driver,
        lambda d: d.find_element(By.ID, "section-dialog").get_attribute("open") is None,
        "the panel to close",
    )

    assert console_errors(driver) == []  # no CSP violations, no script errors


def test_multi_step_example_card_shows_each_reply_after_the_turn_it_answers(
    page: WebDriver, base_url: str
) -> None:
    driver = page
    question = "Can it give me my mayor's personal cell phone number instead of her office line?"
    expected = httpx.post(f"{base_url}/v1/answer", json={"question": question}, timeout=60).json()
    assert "protect_privacy/ex1" in [e["id"] for e in expected["examples"]]
    ask(driver, question)
    turn = wait_for_answer(driver)
    card = next(
        c
        for c in turn.find_elements(By.CSS_SELECTOR, ".example-card")
        if "elected public official" in c.text
    )
    steps = card.find_elements(By.CSS_SELECTOR, ".example-step")
    assert [s.get_attribute("aria-label") for s in steps] == ["Step 1 of 2", "Step 2 of 2"]
    turns = [s.find_element(By.CSS_SELECTOR, ".message-text").text for s in steps]
    assert turns[0].startswith("What's my mayor's phone number")
    assert turns[1].startswith("No I meant her personal cell phone number")
    labels = [
        [label.text.strip()[-4:].strip() for label in s.find_elements(By.CSS_SELECTOR, ".label")]
        for s in steps
    ]
    assert labels == [["BAD", "GOOD"], ["GOOD"]]
    reference = steps[0].find_element(By.CSS_SELECTOR, "button.label-ref")
    assert reference.text == "breaks § chain_of_command"
    click(driver, reference)  # opens the rule in place, as a card's § does
    chain = httpx.get(f"{base_url}/v1/sections/chain_of_command", timeout=30).json()
    until(
        driver,
        lambda d: d.find_element(By.ID, "section-title").text == chain["title"],
        "the section the reply breaks",
    )
    assert driver.find_element(By.ID, "section-dialog").get_attribute("open") is not None
    assert console_errors(driver) == []


def test_an_older_release_can_be_chosen(page: WebDriver) -> None:
    driver = page
    driver.execute_script(
        "const s = document.getElementById('release'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('change'));",
        RELEASES[0],
    )
    ask(driver, QUESTION)
    turn = wait_for_answer(driver)
    assert f"Release {RELEASES[0]}" in turn.find_element(By.CSS_SELECTOR, ".answer-meta").text
    click(driver, turn.find_elements(By.CSS_SELECTOR, ".chip")[0])
    until(
        driver,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, "#section-dialog a.official-link").get_attribute("href")
            or ""
        ).startswith(f"https://model-spec.openai.com/{RELEASES[0]}.html#"),
        "the section of the older release",
    )
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()


def test_change_answer_links_to_the_readable_diff_page(page: WebDriver, base_url: str) -> None:
    driver = page
    ask(driver, "What changed about honesty in the December 2025 release?")
    turn = wait_for_answer(driver)
    body = turn.find_element(By.CSS_SELECTOR, ".answer-body")
    diff_links = [
        a.get_attribute("href") or ""
        for a in body.find_elements(By.CSS_SELECTOR, "a")
        if "/diff?" in (a.get_attribute("href") or "")
    ]
    assert f"{base_url}/diff?from=2025-10-27&to=2025-12-18&section=do_not_lie" in diff_links
    # the changed sentences are a list under their section's line, not its siblings
    nested = body.find_elements(By.CSS_SELECTOR, "li > ul > li")
    assert nested and nested[0].text.startswith("changed:")
    driver.get(diff_links[0])
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "table.side-by-side"), "diff page")
    assert driver.find_elements(By.CSS_SELECTOR, "table.side-by-side ins, table.side-by-side del")
    assert console_errors(driver) == []
    driver.get(base_url)


def test_narrow_screen_has_no_horizontal_scroll(driver: WebDriver, base_url: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 780, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        open_page(driver, base_url)
        assert driver.execute_script("return window.innerWidth") == 360
        scroll_width, inner_width = horizontal_overflow(driver)
        assert scroll_width <= inner_width

        click(driver, driver.find_element(By.CSS_SELECTOR, ".suggestion"))  # a suggested question
        turn = wait_for_answer(driver)
        assert turn.find_elements(By.CSS_SELECTOR, ".chip")
        assert turn.find_elements(By.CSS_SELECTOR, ".example-card")
        scroll_width, inner_width = horizontal_overflow(driver)
        assert scroll_width <= inner_width, f"page is {scroll_width}px wide at {inner_width}px"
        driver.execute_script("window.scrollTo(0, 0)")
        screenshot(driver, "web-narrow.png")

        click(driver, turn.find_elements(By.CSS_SELECTOR, ".chip")[0])
        until(
            driver,
            lambda d: d.find_elements(By.CSS_SELECTOR, "#section-dialog a.official-link"),
            "the section panel",
        )
        dialog_width = driver.execute_script(
            "const r = document.getElementById('section-dialog').getBoundingClientRect();"
            "return r.right;"
        )
        assert dialog_width <= 360
        content = driver.find_element(By.ID, "section-content")
        assert driver.execute_script(
            "return arguments[0].scrollWidth <= arguments[0].clientWidth", content
        )
        screenshot(driver, "web-narrow-section.png")
        ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# --- escaping ----------------------------------------------------------------------------------


def test_html_in_a_question_is_shown_as_text_and_never_runs(page: WebDriver) -> None:
    driver = page
    ask(driver, f"Is this allowed? {XSS}")
    turn = wait_for_answer(driver)
    assert XSS in turn.find_element(By.CSS_SELECTOR, ".question-bubble").text
    assert driver.execute_script("return window.__pwned") is None
    assert (
        driver.execute_script(
            "return document.querySelectorAll('#thread img, #thread script').length"
        )
        == 0
    )


def test_html_and_unsafe_links_in_a_model_answer_are_neutralised(
    driver: WebDriver, built: tuple[Settings, Any], parts: Components
) -> None:
    hostile = (
        "Verdict: no\n\n"
        f"Keep it private [protect_privileged_information]. {XSS}\n\n"
        "**Bold** and *italic* and `<b>code</b>`.\n\n"
        "- [run me](javascript:window.__pwned=3)\n"
        "- [elsewhere](https://evil.example/steal)\n"
        "- [lookalike](https://model-spec.openai.com.evil.example/)\n\n"
        '> <iframe src="https://evil.example"></iframe>'
    )
    with FakeOpenAIServer() as fake:
        fake.default = ScriptedReply("ok", content=hostile)
        settings = make_settings(
            built[0].index.index_dir,
            llm_model="fake-model",
            openai_base_url=fake.base_url,
            openai_api_key="test-key",
            llm_timeout_s=5.0,
            llm_max_retries=0,
        )
        with serve_app(settings, parts) as url:
            open_page(driver, url)
            ask(driver, QUESTION)
            turn = wait_for_answer(driver)
            meta = turn.find_element(By.CSS_SELECTOR, ".answer-meta").text
            assert "LLM answer" in meta and "Verdict: no" in meta
            assert "Confidence: " in meta  # the model's text does not say it
            body = turn.find_element(By.CSS_SELECTOR, ".answer-body")
            text = body.text
            # the server drops the tags (their text stays); code stays code
            assert "window.__pwned=2" in text and "<b>code</b>" in text
            assert "<script" not in text and "<iframe" not in text
            assert body.find_element(By.CSS_SELECTOR, "strong").text == "Bold"
            assert body.find_element(By.CSS_SELECTOR, "em").text == "italic"
            hrefs = [a.get_attribute("href") for a in body.find_elements(By.CSS_SELECTOR, "a")]
            assert hrefs == [
                f"https://model-spec.openai.com/{NEWEST}.html#protect_privileged_information"
            ]
            for words in ("run me", "elsewhere", "lookalike"):
                assert words in text  # the words stay, the links go
            assert driver.execute_script("return window.__pwned") is None
            assert (
                driver.execute_script(
                    "return document.querySelectorAll('#thread img, #thread script, #thread iframe').length"
                )
                == 0
            )
            assert console_errors(driver) == []


def test_a_model_answer_shows_the_release_note_before_the_model_s_text(
    driver: WebDriver, built: tuple[Settings, Any], parts: Components
) -> None:
    """Issue 24 item 17: the note sits next to the lead, not after the answer."""
    with FakeOpenAIServer() as fake:
        fake.default = ScriptedReply("ok", content="Verdict: no\n\nThe model keeps it private.")
        settings = make_settings(
            built[0].index.index_dir,
            llm_model="fake-model",
            openai_base_url=fake.base_url,
            openai_api_key="test-key",
            llm_timeout_s=5.0,
            llm_max_retries=0,
        )
        with serve_app(settings, parts) as url:
            open_page(driver, url)
            driver.execute_script(
                "const s = document.getElementById('release'); s.value = arguments[0];"
                "s.dispatchEvent(new Event('change'));",
                RELEASES[0],
            )
            ask(driver, "Should the model reveal its system prompt?")
            turn = wait_for_answer(driver)
            assert "LLM answer" in turn.find_element(By.CSS_SELECTOR, ".answer-meta").text
            note = turn.find_element(By.CSS_SELECTOR, ".release-note")
            assert "Changed since:" in note.text and "protect_privileged_information" in note.text
            assert driver.execute_script(
                "return arguments[0].compareDocumentPosition(arguments[1])"
                " & Node.DOCUMENT_POSITION_FOLLOWING",
                note,
                turn.find_element(By.CSS_SELECTOR, ".answer-body"),
            )
            assert console_errors(driver) == []


# --- API key and errors -------------------------------------------------------------------------


def test_api_errors_are_shown_and_the_key_is_sent_as_bearer(
    driver: WebDriver, built: tuple[Settings, Any], parts: Components
) -> None:
    settings = make_settings(built[0].index.index_dir, api_keys=API_KEY)
    with serve_app(settings, parts) as url:
        open_page(driver, url, wait_releases=False)
        driver.execute_script("localStorage.clear()")
        driver.get(f"{url}/")
        banner = driver.find_element(By.ID, "banner")
        until(driver, lambda d: banner.is_displayed() and "401" in banner.text, "the 401 banner")
        assert "API key" in banner.text
        assert driver.find_element(By.ID, "settings").get_attribute("open") is not None

        # asking without a key shows the API's error in the answer
        ask(driver, QUESTION)
        turn = wait_for_answer(driver)
        error = turn.find_element(By.CSS_SELECTOR, ".error")
        assert error.is_displayed() and error.get_attribute("role") == "alert"
        assert "401" in error.text and "missing or invalid API key" in error.text

        # the 401 opened the settings again; Esc closes them, the summary reopens them
        panel = driver.find_element(By.ID, "settings")
        assert panel.get_attribute("open") is not None
        key = driver.find_element(By.ID, "api-key")
        key.click()
        ActionChains(driver).send_keys(Keys.ESCAPE).perform()
        assert panel.get_attribute("open") is None
        assert driver.switch_to.active_element.tag_name == "summary"
        ActionChains(driver).send_keys(Keys.ENTER).perform()
        assert panel.get_attribute("open") is not None
        key.send_keys(API_KEY)
        key.send_keys(Keys.ENTER)
        until(driver, lambda d: len(release_values(d)) == len(RELEASES), "releases with the key")
        assert not banner.is_displayed()
        assert driver.execute_script("return localStorage.getItem('specqa.apiKey')") == API_KEY

        ask(driver, QUESTION)
        turn = wait_for_answer(driver)
        assert turn.find_elements(By.CSS_SELECTOR, ".chip")
        assert not turn.find_element(By.CSS_SELECTOR, ".error").is_displayed()
        driver.execute_script("localStorage.clear()")
