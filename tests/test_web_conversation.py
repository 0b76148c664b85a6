"""The web page holds a conversation, in a real headless Chromium against the real app under
uvicorn: follow-ups carry the earlier questions, the conversation survives a reload and "New
conversation" clears it, permalinks ask their question, an answer copies as markdown, suggested
follow-ups come from the answer, a character counter against the server's limit, an error keeps
the question in the box, and the layout at desktop and phone widths."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from server.composition.components import Components
from server.settings import Settings
from server.web.page import ASSETS_DIR
from tests.browser import (
    CONVERSATION_KEY,
    ask,
    click,
    console_errors,
    horizontal_overflow,
    open_page,
    reachable,
    set_viewport,
    type_into,
    until,
    wait_for_answer,
)
from tests.conftest import RELEASES, make_settings, run_cli
from tests.helpers import serve_app

pytestmark = pytest.mark.timeout(300)

NEWEST = RELEASES[-1]
FIRST = "Can it give me my mayor's personal cell phone number instead of her office line?"
FOLLOW_UP = "And the same for her husband?"
QUESTION = "Should the model reveal its system prompt?"
DESKTOP = (1280, 900)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def base_url(built: tuple[Settings, Any], parts: Components) -> Iterator[str]:
    with serve_app(make_settings(built[0].index.index_dir), parts) as url:
        yield url


@pytest.fixture
def page(driver: WebDriver, base_url: str) -> WebDriver:
    open_page(driver, base_url)
    return driver


def rest_answer(base_url: str, question: str, **extra: Any) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/v1/answer", json={"question": question, **extra}, timeout=60)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def chip_titles(turn: WebElement) -> list[str]:
    return [c.text for c in turn.find_elements(By.CSS_SELECTOR, ".chip .chip-title")]


def turns(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#thread .turn")


def bubbles(driver: WebDriver) -> list[str]:
    texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#thread .question-bubble")]
    return [t.removeprefix("You asked:").strip() for t in texts]


def followups(driver: WebDriver) -> list[WebElement]:
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".followups .followup"), "follow-ups")
    return driver.find_elements(By.CSS_SELECTOR, ".followups .followup")


def stored(driver: WebDriver) -> Any:
    return driver.execute_script(f"return JSON.parse(localStorage.getItem('{CONVERSATION_KEY}'))")


# --- the page's own logic (conversation.js) ----------------------------------------------------


def conversation_js(request: pytest.FixtureRequest, expression: str) -> Any:
    """``expression``'s value once conversation.js has loaded: in Node when it is installed (no
    browser needed, the page's origin stood in for), else in the browser tests' Chromium on the
    served page."""
    script = (ASSETS_DIR / "conversation.js").read_text(encoding="utf-8")
    node = shutil.which("node")
    if node is None:
        driver = request.getfixturevalue("driver")
        driver.get(request.getfixturevalue("base_url"))
        return driver.execute_script(f"{script}\nreturn {expression};")
    program = (
        "globalThis.window = globalThis;\n"
        f"globalThis.location = {{ origin: 'http://127.0.0.1' }};\n{script}\nconsole.log(JSON.stringify({expression}));"
    )
    done = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_answers_time_shows_milliseconds_under_a_second(request: pytest.FixtureRequest) -> None:
    """Issue 24 item 19: a 45 ms answer showed as "0.0 s"."""
    shown = conversation_js(
        request,
        "[45, 0.4, 999.4, 999.6, 1234, 15000, -1, null].map(window.specqaConversation.elapsed)",
    )
    assert shown == ["45 ms", "0 ms", "999 ms", "1.0 s", "1.2 s", "15.0 s", "", ""]
    script = (ASSETS_DIR / "app.js").read_text(encoding="utf-8")
    assert "conv.elapsed(final.timings" in script and "toFixed(1)} s" not in script


def test_an_answer_off_topic_suggests_no_follow_up_about_its_closest_section(
    request: pytest.FixtureRequest,
) -> None:
    """A banana bread question, "not covered", was offered "What changed in 'Don't make unprompted
    personal comments'…?"."""
    answer = {
        "release": "2025-12-18",
        "citations": [{"section_id": "s", "title": "Some rule"}],
        "examples": [{"section_id": "s"}],
    }
    suggested = conversation_js(
        request,
        f"[true, false].map((covered) => window.specqaConversation.followups("
        f"{{...{json.dumps(answer)}, covered}}, ['2025-02-12', '2025-12-18'], 'Parent').length)",
    )
    assert suggested == [3, 0]


def test_the_rater_token_is_random_and_kept_by_the_browser(request: pytest.FixtureRequest) -> None:
    """Issue 24 item 8: the page rates under a per-browser token (stored when storage works)."""
    tokens = conversation_js(
        request,
        "(() => { const c = window.specqaConversation; return [c.rater(), c.rater()]; })()",
    )
    assert tokens[0] == tokens[1] and len(tokens[0]) == 32
    assert int(tokens[0], 16) >= 0  # hexadecimal
    script = (ASSETS_DIR / "app.js").read_text(encoding="utf-8")
    assert 'postJson("/web/feedback"' in script and "rater: conv.rater()" in script


# --- the history a follow-up carries -----------------------------------------------------------


def test_answer_api_takes_earlier_questions_as_history_and_validates_them(base_url: str) -> None:
    alone = rest_answer(base_url, FOLLOW_UP)
    followed = rest_answer(base_url, FOLLOW_UP, history=[FIRST])
    alone_ids = [c["section_id"] for c in alone["citations"]]
    followed_ids = [c["section_id"] for c in followed["citations"]]
    assert followed_ids != alone_ids  # the earlier question is context for retrieval
    assert "protect_privacy" in followed_ids

    too_many = httpx.post(
        f"{base_url}/v1/answer",
        json={"question": FOLLOW_UP, "history": ["earlier"] * 21},
        timeout=30,
    )
    assert too_many.status_code == 422
    not_text = httpx.post(
        f"{base_url}/v1/answer", json={"question": FOLLOW_UP, "history": [{"a": 1}]}, timeout=30
    )
    assert not_text.status_code == 422


# --- a conversation: follow-ups, reload, new conversation ----------------------------------------


def test_follow_up_carries_the_conversation_which_survives_a_reload_until_cleared(
    page: WebDriver, base_url: str
) -> None:
    driver = page
    new_conversation = driver.find_element(By.ID, "new-conversation")
    assert not new_conversation.is_enabled()  # nothing to clear yet

    ask(driver, FIRST)
    wait_for_answer(driver)
    ask(driver, FOLLOW_UP)
    second = wait_for_answer(driver)
    expected = rest_answer(base_url, FOLLOW_UP, history=[FIRST])
    assert chip_titles(second) == [c["title"] for c in expected["citations"]]
    assert chip_titles(second) != [
        c["title"] for c in rest_answer(base_url, FOLLOW_UP)["citations"]
    ]
    followups(driver)
    assert len(driver.find_elements(By.CSS_SELECTOR, ".followups")) == 1  # under the last answer

    saved = stored(driver)
    assert [t["question"] for t in saved] == [FIRST, FOLLOW_UP]
    assert all(t["answer"]["id"] for t in saved)

    open_page(driver, base_url, keep_conversation=True)  # a reload
    assert bubbles(driver) == [FIRST, FOLLOW_UP]
    restored = turns(driver)
    assert chip_titles(restored[1]) == [c["title"] for c in expected["citations"]]
    assert not driver.find_element(By.ID, "welcome").is_displayed()
    assert restored[1].find_elements(By.CSS_SELECTOR, ".answer-tools .copy-markdown")
    assert followups(driver)[0].find_element(By.XPATH, "ancestor::li") == restored[1]

    # a third question after the reload still carries the two before it
    ask(driver, "And her email?")
    wait_for_answer(driver)
    assert [t["question"] for t in stored(driver)] == [FIRST, FOLLOW_UP, "And her email?"]

    click(driver, driver.find_element(By.ID, "new-conversation"))
    assert turns(driver) == []
    assert driver.find_element(By.ID, "welcome").is_displayed()
    assert stored(driver) is None
    open_page(driver, base_url, keep_conversation=True)
    assert turns(driver) == []
    assert console_errors(driver) == []


# --- permalinks and markdown ---------------------------------------------------------------------


def test_permalink_asks_its_question_of_its_release(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url)
    old = RELEASES[1]
    driver.get(f"{base_url}/?q={QUESTION.replace(' ', '+')}&release={old}")
    turn = wait_for_answer(driver)
    assert bubbles(driver) == [QUESTION]
    assert f"Release {old}" in turn.find_element(By.CSS_SELECTOR, ".answer-meta").text
    assert urlsplit(driver.current_url).query == ""  # a reload does not ask it again

    link = turn.find_element(By.CSS_SELECTOR, "a.permalink").get_attribute("href") or ""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == base_url and parts.path == "/"
    assert parse_qs(parts.query) == {"q": [QUESTION], "release": [old]}
    assert console_errors(driver) == []


def test_a_follow_ups_permalink_reopens_the_answer_it_was_given_after_its_question(
    page: WebDriver, base_url: str
) -> None:
    """A follow-up's words alone mean something else: its permalink carries the question
    before it (``h``), shows it above the follow-up, and a conversation that goes on from it
    carries both."""
    driver = page
    ask(driver, FIRST)
    wait_for_answer(driver)
    ask(driver, FOLLOW_UP)
    given = chip_titles(wait_for_answer(driver))
    link = turns(driver)[1].find_element(By.CSS_SELECTOR, "a.permalink").get_attribute("href")
    assert parse_qs(urlsplit(link or "").query) == {
        "q": [FOLLOW_UP],
        "release": [NEWEST],
        "h": [FIRST],
    }

    open_page(driver, base_url)  # another browser: no conversation
    driver.get(link or "")
    reopened = wait_for_answer(driver)
    assert bubbles(driver) == [FOLLOW_UP]
    # a reader of the link sees what the follow-up follows
    context = driver.find_elements(By.CSS_SELECTOR, ".turn .question-context")
    assert [c.text for c in context] == [f"Following up on “{FIRST}”"]
    assert chip_titles(reopened) == given
    assert given != [c["title"] for c in rest_answer(base_url, FOLLOW_UP)["citations"]]
    assert stored(driver)[0]["history"] == [FIRST]
    ask(driver, "And her email?")
    wait_for_answer(driver)
    assert stored(driver)[1]["history"] == [FIRST, FOLLOW_UP]
    assert console_errors(driver) == []


def test_a_permalink_carries_the_newest_earlier_questions_that_fit_in_4000_characters(
    request: pytest.FixtureRequest,
) -> None:
    long = "x" * 1500
    earlier = ["first", long, long, long, "last"]
    links = conversation_js(
        request,
        "(() => { const c = "
        f"window.specqaConversation; return [c.permalink('q', 'r', {json.dumps(earlier)}), "
        "c.permalink('q', 'r', ['before']), c.permalink('q', 'r'), "
        "c.linkedQuestion(new URL(c.permalink('q', 'r', ['a', 'b']))), "
        "c.linkedQuestion(new URL('http://127.0.0.1/?q=q&release=r'))]; })()",
    )
    bounded, short, alone, linked, old = links
    assert len(bounded) <= 4000 and parse_qs(urlsplit(bounded).query)["h"] == earlier[-3:]
    assert parse_qs(urlsplit(short).query) == {"q": ["q"], "release": ["r"], "h": ["before"]}
    assert parse_qs(urlsplit(alone).query) == {"q": ["q"], "release": ["r"]}
    assert linked == {"question": "q", "release": "r", "history": ["a", "b"]}
    assert old == {"question": "q", "release": "r", "history": []}  # links made before still work


def test_copy_as_markdown_puts_the_answer_and_its_sources_on_the_clipboard(
    page: WebDriver, base_url: str
) -> None:
    driver = page
    driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    ask(driver, QUESTION)
    turn = wait_for_answer(driver)
    click(driver, turn.find_element(By.CSS_SELECTOR, ".copy-markdown"))
    until(
        driver,
        lambda d: "Copied" in turn.find_element(By.CSS_SELECTOR, ".tool-status").text,
        "copy",
    )
    text = driver.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0]('failed: ' + e))"
    )
    answer = stored(driver)[-1]["answer"]
    assert text.startswith(f"## {QUESTION}\n\n")
    assert answer["answer"].strip() in text
    assert f"**Sources** (Model Spec release {NEWEST})" in text
    first = answer["citations"][0]
    assert f"1. [{first['title']}]({first['url']}) · `{first['section_id']}`" in text
    assert "/?q=Should+the+model+reveal" in text  # the permalink


# --- suggested follow-ups -----------------------------------------------------------------------


def test_suggested_follow_ups_come_from_the_answer_and_ask_as_follow_ups(
    page: WebDriver, base_url: str
) -> None:
    driver = page
    ask(driver, QUESTION)
    wait_for_answer(driver)
    answer = stored(driver)[-1]["answer"]
    top = answer["citations"][0]
    card = httpx.get(f"{base_url}/v1/sections/{top['section_id']}?release={NEWEST}").json()
    cited_with_examples = next(
        c
        for c in answer["citations"]
        if any(e["section_id"] == c["section_id"] for e in answer["examples"])
    )
    expected = [
        f"Show the examples for “{cited_with_examples['title']}”",
        f"What changed in “{top['title']}” between {RELEASES[0]} and {NEWEST}?",
    ]
    if card["parents"]:
        expected.append(f"What does the parent rule “{card['path'][-2]}” say?")
    buttons = followups(driver)
    assert [b.text for b in buttons] == expected

    click(driver, buttons[1])  # what changed: answered from the release diffs
    turn = wait_for_answer(driver)
    assert bubbles(driver)[-1] == expected[1]
    assert turn.find_element(By.CSS_SELECTOR, ".answer-body").text.strip()
    assert not turn.find_element(By.CSS_SELECTOR, ".error").is_displayed()
    assert [t["question"] for t in stored(driver)] == [QUESTION, expected[1]]
    assert console_errors(driver) == []


def test_a_question_the_spec_does_not_cover_cites_no_sections_and_says_its_confidence_once(
    page: WebDriver,
) -> None:
    """The stream's first event lists the evidence; the final answer keeps only what it cites:
    none for a question the spec does not cover (its text names the closest section)."""
    ask(page, "what is the boiling point of tungsten in kelvin")
    turn = wait_for_answer(page)
    assert "Not covered." in turn.text
    assert not turn.find_element(By.CSS_SELECTOR, ".citations").is_displayed()
    assert not turn.find_element(By.CSS_SELECTOR, ".examples").is_displayed()
    assert turn.text.count("Confidence: low") == 1
    assert console_errors(page) == []


def test_thanks_after_an_answer_gets_a_reply_with_no_sources(page: WebDriver) -> None:
    ask(page, "Will it help me pick a lock?")
    wait_for_answer(page)
    ask(page, "thanks!")
    turn = wait_for_answer(page)
    assert "You're welcome." in turn.text
    assert "Bottom line" not in turn.text and "Confidence" not in turn.text
    assert not turn.find_element(By.CSS_SELECTOR, ".citations").is_displayed()
    assert len(page.find_elements(By.CSS_SELECTOR, "#thread .turn")) == 2
    assert console_errors(page) == []


def test_the_llm_mode_is_not_offered_by_a_server_without_an_llm(page: WebDriver) -> None:
    option = page.find_element(By.CSS_SELECTOR, '#mode option[value="llm"]')
    until(page, lambda _: not option.is_enabled(), "the LLM option to be disabled")
    assert option.get_attribute("textContent") == "LLM (none configured on this server)"


def test_the_release_picked_stays_picked_after_a_reload(page: WebDriver, base_url: str) -> None:
    """A follow-up after a reload must not be answered from another release in silence."""
    picker = page.find_element(By.ID, "release")
    page.execute_script(
        "arguments[0].value = arguments[1];arguments[0].dispatchEvent(new Event('change'));",
        picker,
        RELEASES[0],
    )
    open_page(page, base_url, keep_conversation=True)
    until(
        page,
        lambda d: d.find_element(By.ID, "release").get_attribute("value") == RELEASES[0],
        "the release",
    )


# --- the question box: counter and errors ------------------------------------------------------


def test_counter_counts_against_the_servers_limit_instead_of_truncating(
    driver: WebDriver, built: tuple[Settings, Any], parts: Components
) -> None:
    with serve_app(make_settings(built[0].index.index_dir, max_question_chars=60), parts) as url:
        open_page(driver, url)
        counter = driver.find_element(By.ID, "char-count")
        assert counter.text == "0 / 60"
        box = driver.find_element(By.ID, "question")
        box.send_keys("Should it lie?")
        assert counter.text == "14 / 60"
        long = "Should the model keep a secret when a user asks it directly? " * 2
        type_into(driver, long)
        assert box.get_attribute("value") == long  # nothing cut off
        count = len(long.strip())
        assert counter.text == f"{count} / 60 · {count - 60} too many"
        assert "over" in (counter.get_attribute("class") or "")
        assert box.get_attribute("aria-invalid") == "true"
        assert not driver.find_element(By.ID, "send").is_enabled()
        box.send_keys(Keys.ENTER)
        assert turns(driver) == []  # not sent

        type_into(driver, "Should it lie?")
        assert counter.text == "14 / 60" and driver.find_element(By.ID, "send").is_enabled()


def test_on_an_error_the_question_stays_in_the_box(page: WebDriver) -> None:
    driver = page
    driver.execute_script(  # a release the server does not have: a 404
        "const s = document.getElementById('release'); const o = document.createElement('option');"
        "o.value = o.textContent = '1999-01-01'; s.append(o); s.value = '1999-01-01';"
    )
    ask(driver, QUESTION)
    turn = wait_for_answer(driver)
    assert turn.find_element(By.CSS_SELECTOR, ".error").is_displayed()
    assert driver.find_element(By.ID, "question").get_attribute("value") == QUESTION
    assert stored(driver) is None  # a failed turn is not part of the conversation
    assert turn.find_elements(By.CSS_SELECTOR, ".answer-tools") == []


# --- layout at desktop and phone widths ----------------------------------------------------------


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_conversation_controls_are_reachable_without_horizontal_scroll(
    driver: WebDriver, base_url: str, size: tuple[int, int]
) -> None:
    set_viewport(driver, size)
    try:
        open_page(driver, base_url)
        ask(driver, FIRST)
        wait_for_answer(driver)
        ask(driver, FOLLOW_UP)
        last = wait_for_answer(driver)
        followups(driver)
        click(driver, last.find_element(By.CSS_SELECTOR, ".rating-up"))  # opens the comment box
        until(
            driver,
            lambda d: last.find_element(By.CSS_SELECTOR, ".feedback-form").is_displayed(),
            "form",
        )

        scroll_width, inner_width = horizontal_overflow(driver)
        assert inner_width == size[0]
        assert scroll_width <= inner_width, f"page is {scroll_width}px wide at {inner_width}px"
        controls = [
            driver.find_element(By.ID, "question"),
            driver.find_element(By.ID, "send"),
            driver.find_element(By.ID, "new-conversation"),
            driver.find_element(By.ID, "char-count"),
            *last.find_elements(By.CSS_SELECTOR, ".copy-markdown, .permalink, .rating"),
            last.find_element(By.CSS_SELECTOR, ".feedback-comment"),
            *driver.find_elements(By.CSS_SELECTOR, ".followups .followup"),
        ]
        assert len(controls) >= 10
        for control in controls:
            assert reachable(driver, control), (control.get_attribute("outerHTML") or "")[:120]
        name = "phone" if size == PHONE else "desktop"
        driver.execute_script("window.scrollTo(0, document.scrollingElement.scrollHeight)")
        driver.save_screenshot(f"/tmp/web-conversation-{name}.png")
        assert console_errors(driver) == []
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# --- feedback ----------------------------------------------------------------------------------


@pytest.fixture
def feedback_database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'feedback.sqlite'}"


@pytest.fixture
def feedback_url(
    built: tuple[Settings, Any], parts: Components, feedback_database: str
) -> Iterator[str]:
    """A server that stores feedback in this test's own database."""
    settings = make_settings(built[0].index.index_dir, feedback_database_url=feedback_database)
    with serve_app(settings, parts) as url:
        yield url


def exported_feedback(database: str, tmp_path: Path) -> list[dict[str, Any]]:
    exported = run_cli(
        "feedback",
        "export",
        env={"SPECQA_FEEDBACK_DATABASE_URL": database, "SPECQA_INDEX_DIR": str(tmp_path)},
    )
    assert exported.returncode == 0, exported.stderr
    return [json.loads(line) for line in exported.stdout.splitlines()]


def test_thumbs_down_with_a_comment_is_stored_as_feedback_on_that_answer(
    driver: WebDriver, feedback_url: str, feedback_database: str, tmp_path: Path
) -> None:
    open_page(driver, feedback_url)
    ask(driver, QUESTION)
    turn = wait_for_answer(driver)
    answer_id = stored(driver)[-1]["answer"]["id"]
    form = turn.find_element(By.CSS_SELECTOR, ".feedback-form")
    assert not form.is_displayed()  # the comment box opens with a rating

    down = turn.find_element(By.CSS_SELECTOR, ".rating-down")
    assert down.get_attribute("aria-label") == "Not helpful"
    click(driver, down)
    assert down.get_attribute("aria-pressed") == "true"
    comment = turn.find_element(By.CSS_SELECTOR, ".feedback-comment")
    assert driver.switch_to.active_element == comment
    comment.send_keys("Quotes the wrong section.")
    comment.send_keys(Keys.ENTER)
    status = turn.find_element(By.CSS_SELECTOR, ".feedback-status")
    until(driver, lambda d: "Thanks" in status.text, "the feedback to be sent")
    assert not turn.find_element(By.CSS_SELECTOR, ".rating-up").is_enabled()
    tools = turn.find_element(By.CSS_SELECTOR, ".answer-tools")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", tools)
    driver.save_screenshot("/tmp/web-feedback.png")

    records = exported_feedback(feedback_database, tmp_path)
    assert len(records) == 1
    record = records[0]
    assert record["answer_id"] == answer_id
    assert record["rating"] == "down"
    assert record["comment"] == "Quotes the wrong section."
    assert record["source"] == "web"
    token = driver.execute_script("return localStorage.getItem('specqa.rater')")
    assert record["rater"] == f"web:{token}" and len(token) == 32  # this browser's token
    assert record["question"] == QUESTION

    # after a reload the answer shows its feedback as given
    open_page(driver, feedback_url, keep_conversation=True)
    turn = wait_for_answer(driver)
    assert (
        turn.find_element(By.CSS_SELECTOR, ".rating-down").get_attribute("aria-pressed") == "true"
    )
    assert "Thanks" in turn.find_element(By.CSS_SELECTOR, ".feedback-status").text
    assert console_errors(driver) == []


def test_a_thumb_alone_records_the_rating(
    driver: WebDriver, feedback_url: str, feedback_database: str, tmp_path: Path
) -> None:
    """Most people never press Send: the thumb's click is the rating, the comment optional."""
    open_page(driver, feedback_url)
    ask(driver, QUESTION)
    turn = wait_for_answer(driver)
    click(driver, turn.find_element(By.CSS_SELECTOR, ".rating-up"))
    status = turn.find_element(By.CSS_SELECTOR, ".feedback-status")
    until(driver, lambda _: "Rated" in status.text, "the rating to be recorded")
    records = exported_feedback(feedback_database, tmp_path)
    assert [(r["rating"], r["comment"]) for r in records] == [("up", "")]
    assert console_errors(driver) == []
