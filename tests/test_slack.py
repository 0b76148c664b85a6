"""The Slack bot over real HTTP: the app under uvicorn on loopback, requests signed exactly as
Slack signs them, and a loopback HTTP server standing in for the Slack Web API and response_url
that records what the bot posted."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from fakes.slack_api import (
    BOT_TOKEN,
    BOT_USER,
    SECRET,
    FakeSlack,
    Post,
    buttons,
    command_body,
    event_body,
    mention,
    signed,
)
from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.settings import Settings
from server.slack.blocks import SECTION_LIMIT, markdown_to_mrkdwn, notice_messages, split_text
from server.slack.compact import compact_message
from tests.conftest import make_settings
from tests.helpers import live_server

QUESTION = "Should the model reveal its system prompt?"


@pytest.fixture(scope="module")
def slack_settings(
    built: tuple[Settings, IngestReport], slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    database = tmp_path_factory.mktemp("feedback") / "feedback.sqlite"
    return make_settings(
        built[0].index.index_dir,
        feedback_database_url=f"sqlite:///{database}",
        slack_signing_secret=SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=f"{slack.url}/api/",
    )


@pytest.fixture(scope="module")
def base_url(slack_settings: Settings, parts: Components) -> Iterator[str]:
    app = create_app(slack_settings, parts.derive(slack_settings))
    with live_server(app) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
        yield client


def post_command(http: httpx.Client, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return http.post(
        "/slack/commands",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )


def post_event(http: httpx.Client, body: bytes, **extra: str) -> httpx.Response:
    headers = {"Content-Type": "application/json", **signed(body), **extra}
    return http.post("/slack/events", content=body, headers=headers)


def to_thread(ts: str) -> Callable[[Post], bool]:
    return lambda p: p.path == "/api/chat.postMessage" and p.body.get("thread_ts") == ts


def all_text(post: Post) -> str:
    return "\n".join(
        [post.body.get("text", "")]
        + [json.dumps(block, ensure_ascii=False) for block in post.body.get("blocks", [])]
    )


def assert_compact_answer(body: dict[str, Any], *, shareable: bool) -> None:
    """One compact message: the bottom line, the top quote with its link, the release and the
    mode, and the buttons (Share in channel on an ephemeral answer only)."""
    blocks = body["blocks"]
    assert body["text"], "a fallback text"
    assert 0 < len(blocks) <= 8, "compact: not the whole answer"
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    assert any("*Bottom line*" in t and "confidence: " in t for t in sections)
    assert any("<https://model-spec.openai.com/" in t and "authority:" in t for t in sections)
    assert "Matching examples" not in json.dumps(blocks)
    context = json.dumps([b for b in blocks if b["type"] == "context"])
    assert "release" in context
    assert "mode" in context
    expected = {"show_examples", "feedback_good", "feedback_bad"} | (
        {"share"} if shareable else set()
    )
    assert set(buttons(body)) == expected
    assert body["unfurl_links"] is False
    assert body["unfurl_media"] is False


# --- tests ------------------------------------------------------------------------------------


def test_url_verification_challenge(http: httpx.Client) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"})
    response = post_event(http, body.encode())
    assert response.status_code == 200
    assert response.json() == {"challenge": challenge}


def test_slash_command_acks_at_once_then_answers_only_to_the_asker_compactly(
    http: httpx.Client, slack: FakeSlack
) -> None:
    body = command_body(QUESTION, "cmd-1", slack.url)
    slack.hold.clear()  # response_url stalls: the ack must not wait for the delivery
    try:
        started = time.monotonic()
        ack = post_command(http, body, signed(body))
        assert time.monotonic() - started < 3
        assert ack.status_code == 200
        assert ack.json()["response_type"] == "ephemeral"
        assert not slack.matching(lambda p: p.path == "/response/cmd-1")
    finally:
        slack.hold.set()
    post = slack.wait_for(lambda p: p.path == "/response/cmd-1")
    assert post.body["response_type"] == "ephemeral"
    assert_compact_answer(post.body, shareable=True)
    assert "protect_privileged_information" in all_text(post)


def test_app_mention_is_answered_in_its_thread(http: httpx.Client, slack: FakeSlack) -> None:
    ts = "1700000001.000100"
    body = event_body(mention(ts, f"<@{BOT_USER}> is it ok to be sycophantic?"), "Ev0001")
    assert post_event(http, body).status_code == 200
    post = slack.wait_for(to_thread(ts))
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert post.body["channel"] == "C0001"
    assert_compact_answer(post.body, shareable=False)
    assert "avoid_sycophancy" in all_text(post)
    assert BOT_USER not in all_text(post), "the bot's own mention is not part of the question"

    reply_ts, parent = "1700000002.000200", "1700000001.000100"
    body = event_body(mention(reply_ts, f"<@{BOT_USER}> and flattery?", thread_ts=parent), "Ev2")
    assert post_event(http, body).status_code == 200
    slack.wait_for(lambda p: to_thread(parent)(p) and "flattery" in all_text(p))


def test_duplicates_and_retries_are_answered_once(http: httpx.Client, slack: FakeSlack) -> None:
    ts = "1700000010.000100"
    body = event_body(mention(ts, f"<@{BOT_USER}> may the model lie?"), "Ev0010")
    assert post_event(http, body).status_code == 200
    slack.wait_for(to_thread(ts))
    assert post_event(http, body).status_code == 200  # the same event_id again
    retried = post_event(http, body, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "x"})
    assert retried.status_code == 200
    same_message = event_body(mention(ts, f"<@{BOT_USER}> may the model lie?"), "Ev0011")
    assert post_event(http, same_message).status_code == 200  # same message, new event id
    sentinel = "1700000011.000100"
    post_event(http, event_body(mention(sentinel, f"<@{BOT_USER}> tell me"), "Ev0012"))
    slack.wait_for(to_thread(sentinel))
    time.sleep(0.5)
    assert len(slack.matching(to_thread(ts))) == 1


def test_bot_messages_and_edits_are_ignored(http: httpx.Client, slack: FakeSlack) -> None:
    dm: dict[str, Any] = {"type": "message", "channel": "D0001", "channel_type": "im"}
    ignored = [
        {**dm, "ts": "1700000020.1", "user": BOT_USER, "text": "my own answer"},
        {**dm, "ts": "1700000020.2", "bot_id": "B0001", "user": "U0002", "text": "a bot"},
        {**dm, "ts": "1700000020.3", "subtype": "bot_message", "bot_id": "B1", "text": "x"},
        {**dm, "ts": "1700000020.4", "subtype": "message_changed", "hidden": True},
        {**dm, "ts": "1700000020.5", "channel_type": "channel", "user": "U1", "text": "hi"},
    ]
    for n, event in enumerate(ignored):
        assert post_event(http, event_body(event, f"EvIgnored{n}")).status_code == 200
    person = {**dm, "ts": "1700000021.1", "user": "U0001", "text": "can you help with malware?"}
    assert post_event(http, event_body(person, "EvDm")).status_code == 200
    slack.wait_for(to_thread("1700000021.1"))  # a direct message from a person is answered
    time.sleep(0.5)
    assert not slack.matching(lambda p: str(p.body.get("thread_ts", "")).startswith("1700000020"))


def refused(case: str, body: bytes) -> tuple[bytes, dict[str, Any]]:
    """``body`` and headers as a forger, a replay or a broken client would send them."""
    now = int(time.time())
    if case == "non-utf8":
        body = body.replace(b"Should", b"\xff\xfeShould")
        return body, signed(body)  # a valid signature over bytes that are not UTF-8
    headers: dict[str, Any] = {
        "forged": signed(body, secret="not-the-secret"),
        "stale": signed(body, str(now - 6 * 60)),
        "future": signed(body, str(now + 6 * 60)),
        "no-timestamp": {"X-Slack-Signature": signed(body)["X-Slack-Signature"]},
        "no-signature": {"X-Slack-Request-Timestamp": str(now)},
        "non-numeric": signed(body, "12e9"),
        "huge": signed(body, "9" * 5000),
        "unicode-digits": {**signed(body), "X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠".encode()},
        "non-ascii-signature": {**signed(body), "X-Slack-Signature": "v0=é".encode("latin-1")},
    }[case]
    return body, headers


@pytest.mark.parametrize(
    "case",
    [
        "forged",
        "stale",
        "future",
        "no-timestamp",
        "no-signature",
        "non-numeric",
        "huge",
        "unicode-digits",
        "non-ascii-signature",
        "non-utf8",
    ],
)
def test_unsigned_or_odd_requests_get_401_and_nothing_else(
    http: httpx.Client, slack: FakeSlack, case: str
) -> None:
    body, headers = refused(case, command_body(QUESTION, f"refused-{case}", slack.url))
    response = post_command(http, body, headers)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid Slack signature"
    ts = f"1700000040.{len(case)}"
    event = mention(ts, f"<@{BOT_USER}> Should I answer {case}?")
    body, headers = refused(case, event_body(event, f"EvRefused-{case}"))
    response = http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    time.sleep(0.2)
    assert not slack.matching(lambda p: "refused" in p.path or "Should I answer" in p.raw)


def test_signed_but_malformed_bodies_are_4xx(http: httpx.Client) -> None:
    for body in (b"not json", b"[1, 2]", b'"text"'):
        assert post_event(http, body).status_code == 400
    assert post_event(http, b'{"type": "app_rate_limited"}').status_code == 200
    body = urlencode({"text": "hello"}).encode()  # no response_url
    assert post_command(http, body, signed(body)).status_code == 400


def test_mentions_and_links_in_a_question_are_escaped(http: httpx.Client, slack: FakeSlack) -> None:
    question = f"<!channel> <@U0999> <https://evil.example|click> & {QUESTION}"
    body = command_body(question, "escaped", slack.url)
    assert post_command(http, body, signed(body)).status_code == 200
    post = slack.wait_for(lambda p: p.path == "/response/escaped")
    text = all_text(post)
    for raw in ("<!channel>", "<@U0999>", "<https://evil.example"):
        assert raw not in text and raw not in post.raw
    assert "&lt;!channel&gt;" in text
    assert "&lt;@U0999&gt;" in text
    assert "&amp;" in text
    assert post.body["unfurl_links"] is False

    ts = "1700000030.000100"
    event = mention(ts, f"<@{BOT_USER}> <!here> is <!channel> allowed?")
    post_event(http, event_body(event, "EvEscaped"))
    threaded = all_text(slack.wait_for(to_thread(ts)))
    assert "<!here>" not in threaded and "&lt;!here&gt;" in threaded


def test_empty_command_gets_usage_without_answering(http: httpx.Client, slack: FakeSlack) -> None:
    body = command_body("   ", "empty", slack.url)
    response = post_command(http, body, signed(body))
    assert response.status_code == 200
    assert "/spec" in response.json()["text"]


@pytest.mark.parametrize("text", ["help", "HELP", "  --help ", "?"])
def test_help_command_prints_usage_instead_of_answering(
    http: httpx.Client, slack: FakeSlack, text: str
) -> None:
    body = command_body(text, "help-cmd", slack.url)
    response = post_command(http, body, signed(body))
    assert response.status_code == 200
    usage = response.json()["text"]
    assert "/spec help" in usage and "what changed between" in usage
    assert response.json()["response_type"] == "ephemeral"


def test_help_mention_gets_usage_in_the_thread(http: httpx.Client, slack: FakeSlack) -> None:
    ts = "1700000090.000100"
    assert (
        post_event(http, event_body(mention(ts, f"<@{BOT_USER}> help"), "EvHelp")).status_code
        == 200
    )
    post = slack.wait_for(to_thread(ts))
    assert "/spec help" in all_text(post)
    assert "Cited sections" not in all_text(post)


def test_notification_fallback_is_one_readable_line_naming_each_section_once(
    parts: Components,
) -> None:
    change = parts.service.answer("What changed about honesty in the December 2025 release?")
    assert [c.title for c in change.citations].count("Do not lie") == 2  # cited in two releases
    fallback = compact_message(change, shareable=False)["text"]
    assert "\n" not in fallback
    assert fallback.count("Do not lie") == 1
    assert fallback.startswith("What changed about honesty in the December 2025 release?")
    assert "Model Spec 2025-12-18" in fallback


def test_slack_routes_are_off_without_a_signing_secret(
    built: tuple[Settings, IngestReport], parts: Components
) -> None:
    app = create_app(make_settings(built[0].index.index_dir), parts)
    with live_server(app) as url, httpx.Client(base_url=url, trust_env=False) as client:
        body = b'{"type": "url_verification", "challenge": "c"}'
        response = client.post("/slack/events", content=body, headers=signed(body))
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "Slack is not configured"


# --- formatting (pure) --------------------------------------------------------------------------


def test_a_long_answer_stays_within_slack_limits_and_pings_or_links_nothing(
    parts: Components,
) -> None:
    answer = parts.service.answer(QUESTION, mode="extractive")
    long = answer.model_copy(
        update={
            "mode": "llm",
            "verdict": "no",
            "answer": ("A sentence with <!channel> & [a link](https://x.example). " * 800),
            "citations": answer.citations * 20,
        }
    )
    message = compact_message(long, shareable=True, with_examples=True)
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= SECTION_LIMIT
        assert "<!channel>" not in text
        assert "<https://x.example" not in text
    headline = message["blocks"][1]["text"]["text"]
    assert headline.startswith("*Verdict: No*\n")  # the model's verdict, then any curated lead
    assert "\nA sentence with" in headline


def test_a_quoted_spec_sentence_shows_its_spaced_triple_dash_as_an_em_dash_in_slack(
    parts: Components,
) -> None:
    """The bottom line's quote showed the spec's raw "---" where every other surface shows "—"."""
    answer = parts.service.answer("Will it share its system prompt?", mode="extractive")
    assert answer.bottom_line is not None
    spaced = "The assistant must not disclose privileged content without permission --- neither"
    quoted = answer.bottom_line.model_copy(update={"text": spaced})
    message = compact_message(answer.model_copy(update={"bottom_line": quoted}), shareable=False)
    text = json.dumps(message, ensure_ascii=False)
    assert "permission — neither" in text and " --- " not in text


def test_split_text_never_cuts_a_link_or_an_entity() -> None:
    link = "<https://model-spec.openai.com/2025-12-18.html#a|a title with spaces>"
    text = ("word &amp; " * 5 + link + " ") * 200
    pieces = split_text(text, limit=500)
    assert all(len(p) <= 500 for p in pieces)
    for piece in pieces:
        assert piece.count("<") == piece.count(">")
        assert not piece.rstrip().endswith(("&", "&am", "&amp"))
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


# --- hardening, round two (issue 13) -----------------------------------------------------------


def replays_counted(http: httpx.Client) -> float:
    text = http.get("/metrics").text
    match = re.search(r"^specqa_slack_replays_total ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_a_signed_event_nested_too_deep_is_a_400_json(http: httpx.Client) -> None:
    body = b'{"type": "event_callback", "event": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = post_event(http, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "expected a JSON object"


def test_a_replayed_slash_command_is_answered_once(http: httpx.Client, slack: FakeSlack) -> None:
    body = command_body("may the model lie to protect feelings?", "replayed", slack.url)
    headers = signed(body)
    before = replays_counted(http)
    acks = [post_command(http, body, headers) for _ in range(3)]
    assert [a.status_code for a in acks] == [200, 200, 200]
    assert replays_counted(http) == before + 2  # taken once, refused twice, at the ack
    slack.wait_for(lambda p: p.path == "/response/replayed")
    sentinel = command_body("and white lies?", "after-replayed", slack.url)
    post_command(http, sentinel, signed(sentinel))
    slack.wait_for(lambda p: p.path == "/response/after-replayed")
    assert len(slack.matching(lambda p: p.path == "/response/replayed")) == 1


def test_slack_entities_are_unescaped_before_our_escaping(
    http: httpx.Client, slack: FakeSlack
) -> None:
    body = command_body("is R&amp;D &lt;b&gt;secret&lt;/b&gt; info private?", "entities", slack.url)
    assert post_command(http, body, signed(body)).status_code == 200
    text = all_text(slack.wait_for(lambda p: p.path == "/response/entities"))
    assert "R&amp;D &lt;b&gt;secret&lt;/b&gt;" in text
    assert "&amp;amp;" not in text and "&amp;lt;" not in text

    ts = "1700000050.000100"
    event = mention(ts, f"<@{BOT_USER}> R&amp;D &gt; marketing?")
    post_event(http, event_body(event, "EvEntities"))
    threaded = all_text(slack.wait_for(to_thread(ts)))
    assert "R&amp;D &gt; marketing?" in threaded and "&amp;amp;" not in threaded


def test_a_change_answer_shows_the_changed_text_and_its_diff_link(parts: Components) -> None:
    answer = parts.service.answer("What changed between the September and October 2025 releases?")
    assert answer.bottom_line is None  # an answer from the diffs, not from one section
    text = json.dumps(compact_message(answer, shareable=False)["blocks"])
    assert "respect_real_world_ties" in text
    assert "diff?" in text  # the path of the readable diff page (no public address is set)
    assert "](" not in text and "[-" not in text and "{+" not in text  # no markdown left


def test_a_change_answer_links_the_diff_page_where_the_public_address_is_known(
    parts: Components,
) -> None:
    answer = parts.service.answer("What changed between the September and October 2025 releases?")
    public = answer.model_copy(
        update={"answer": answer.answer.replace("(/diff?", "(https://specqa.example.com/diff?")}
    )
    text = json.dumps(compact_message(public, shareable=False)["blocks"])
    assert "<https://specqa.example.com/diff?from=2025-09-12&amp;to=2025-10-27" in text


def test_markdown_becomes_slack_mrkdwn_word_marks_dashes_and_all() -> None:
    text = markdown_to_mrkdwn(
        "changed: “[-Each-] {+Every+} message [-has fields.-]{+has a role:+}” --- see "
        "[Side-by-side diff](/diff?from=a&to=b)"
    )
    assert text == (
        "changed: “~Each~ *Every* message ~has fields.~ *has a role:*” — see "
        "Side-by-side diff (`/diff?from=a&amp;to=b`)"
    )


def test_a_top_quote_that_holds_the_bottom_line_is_its_title_only(parts: Components) -> None:
    """Its "(in context)" link highlighted the whole quote, which may open on another sentence."""
    answer = parts.service.answer("May the model lie to users?")
    assert answer.bottom_line is not None
    top = answer.citations[0]
    quote = f"An earlier sentence. {answer.bottom_line.text}"
    holding = answer.model_copy(
        update={"citations": [top.model_copy(update={"quote": quote}), *answer.citations[1:]]}
    )
    text = json.dumps(compact_message(holding, shareable=False)["blocks"])
    assert "(in context)" not in text and "An earlier sentence." not in text


def test_a_not_covered_answer_cites_nothing_in_slack(parts: Components) -> None:
    answer = parts.service.answer("How many replicas should our Kubernetes inference service run?")
    assert not answer.covered and answer.citations  # the closest, named in its text
    message = compact_message(answer, shareable=True)
    text = json.dumps(message["blocks"])
    assert "more cited section" not in text and "authority:" not in text
    assert "no matching section" in message["text"]


def test_a_usage_notice_is_cut_at_a_word_in_notifications() -> None:
    usage = "Ask about the Model Spec: " + "a release diff, " * 30
    [message] = notice_messages(usage)
    kept = message["text"].removesuffix("…")
    assert len(message["text"]) <= 300 and kept != message["text"]
    assert usage.startswith(kept) and usage[len(kept)] in " ,"  # cut between words
