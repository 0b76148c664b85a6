"""The buttons under a Slack answer and follow-ups in a thread, over real HTTP: the app under
uvicorn on loopback, clicks signed and form-encoded (``payload=<JSON>``) exactly as Slack sends
them to ``/slack/interactions``, and a loopback stand-in for the Web API and response_url."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import yaml

from fakes.slack_api import (
    BOT_TOKEN,
    BOT_USER,
    SECRET,
    FakeSlack,
    Post,
    buttons,
    click_payload,
    command_body,
    event_body,
    mention,
    signed,
)
from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.settings import Settings
from tests.conftest import REPO, make_settings
from tests.helpers import live_server


@pytest.fixture(scope="module")
def components(
    built: tuple[Settings, IngestReport],
    parts: Components,
    slack: FakeSlack,
    tmp_path_factory: pytest.TempPathFactory,
) -> Components:
    database = tmp_path_factory.mktemp("feedback") / "feedback.sqlite"
    settings = make_settings(
        built[0].index.index_dir,
        slack_signing_secret=SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=f"{slack.url}/api/",
        feedback_database_url=f"sqlite:///{database}",
    )
    return parts.derive(settings)


@pytest.fixture(scope="module")
def http(components: Components) -> Iterator[httpx.Client]:
    app = create_app(components.settings, components)
    with (
        live_server(app) as url,
        httpx.Client(base_url=url, timeout=30, trust_env=False) as client,
    ):
        yield client


def ask(http: httpx.Client, slack: FakeSlack, question: str, path: str) -> Post:
    """``/spec question``: the ephemeral answer the bot posted to the command's response_url."""
    body = command_body(question, path, slack.url)
    assert http.post("/slack/commands", content=body, headers=signed(body)).status_code == 200
    return slack.wait_for(lambda p: p.path == f"/response/{path}")


def click_body(answer: Post, action: str, response_path: str, slack: FakeSlack) -> bytes:
    button = buttons(answer.body)[action]
    ephemeral = answer.body.get("response_type") == "ephemeral"
    payload = click_payload(button, f"{slack.url}/response/{response_path}", ephemeral=ephemeral)
    return urlencode({"payload": json.dumps(payload)}).encode()


def click(http: httpx.Client, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or signed(body))}
    return http.post("/slack/interactions", content=body, headers=headers)


def to(path: str) -> Any:
    return lambda p: p.path == f"/response/{path}"


def blocks_text(post: Post) -> str:
    return json.dumps(post.body.get("blocks", []), ensure_ascii=False)


# --- the buttons --------------------------------------------------------------------------------


def test_show_examples_expands_the_answer_in_place(http: httpx.Client, slack: FakeSlack) -> None:
    answer = ask(http, slack, "Is it ok to flatter the user?", "ex-answer")
    assert "Matching examples" not in blocks_text(answer)
    started = time.monotonic()
    ack = click(http, click_body(answer, "show_examples", "ex-click", slack))
    assert ack.status_code == 200 and ack.content == b""
    assert time.monotonic() - started < 3
    expanded = slack.wait_for(to("ex-click"))
    assert expanded.body["replace_original"] is True
    assert "Matching examples" in blocks_text(expanded)
    assert "*GOOD*" in blocks_text(expanded) or "*BAD*" in blocks_text(expanded)
    kept = buttons(expanded.body)
    assert set(kept) == {"share", "feedback_good", "feedback_bad"}, "examples shown: no button"
    assert (
        json.loads(kept["share"]["value"])["id"]
        == json.loads(buttons(answer.body)["share"]["value"])["id"]
    ), "the same answer"
    assert len(expanded.body["blocks"]) <= 50


def test_share_posts_the_answer_to_the_channel_and_removes_the_private_one(
    http: httpx.Client, slack: FakeSlack
) -> None:
    answer = ask(http, slack, "Should the model reveal its system prompt?", "share-answer")
    assert answer.body["response_type"] == "ephemeral"
    assert click(http, click_body(answer, "share", "share-click", slack)).status_code == 200
    shared = slack.wait_for(lambda p: to("share-click")(p) and "blocks" in p.body)
    assert shared.body["response_type"] == "in_channel"
    assert shared.body["replace_original"] is False
    assert "shared by <@U0001>" in blocks_text(shared)
    assert set(buttons(shared.body)) == {"show_examples", "feedback_good", "feedback_bad"}
    assert blocks_text(shared).count("*Bottom line*") == 1
    deleted = slack.wait_for(lambda p: to("share-click")(p) and "delete_original" in p.body)
    assert deleted.body == {"delete_original": True}
    assert slack.posts.index(shared) < slack.posts.index(deleted), "shared first, then deleted"


@pytest.mark.parametrize(("action", "rating"), [("feedback_good", "up"), ("feedback_bad", "down")])
def test_feedback_buttons_record_a_rating_of_the_answer_and_thank_the_user(
    http: httpx.Client, slack: FakeSlack, components: Components, action: str, rating: str
) -> None:
    answer = ask(http, slack, "May the model lie to protect someone's feelings?", f"fb-{rating}")
    answer_id = json.loads(buttons(answer.body)[action]["value"])["id"]
    assert click(http, click_body(answer, action, f"fb-click-{rating}", slack)).status_code == 200
    note = slack.wait_for(to(f"fb-click-{rating}"))
    assert note.body["response_type"] == "ephemeral"
    assert note.body["replace_original"] is False, "the answer stays"
    assert "Thanks" in json.dumps(note.body, ensure_ascii=False)
    records = [r for r in components.feedback.records() if r.answer_id == answer_id]
    assert [(r.rating, r.source, r.rater) for r in records] == [
        (rating, "slack", "slack:T0001:U0001")
    ]
    assert records[0].question == "May the model lie to protect someone's feelings?"


def test_each_slack_user_counts_once_per_answer_and_their_last_click_stands(
    http: httpx.Client, slack: FakeSlack, components: Components
) -> None:
    """Issue 24 item 8: one user's six 👍 and one 👎 on one answer all counted."""
    answer = ask(http, slack, "Should the model flatter the user?", "fb-stuffed")
    answer_id = json.loads(buttons(answer.body)["feedback_good"]["value"])["id"]
    clicks = [("U0001", "feedback_good")] * 3 + [
        ("U0001", "feedback_bad"),
        ("U0002", "feedback_good"),
    ]
    for n, (user, action) in enumerate(clicks):
        button = buttons(answer.body)[action]
        payload = click_payload(
            button, f"{slack.url}/response/fb-stuffed-{n}", ephemeral=True, user=user
        )
        assert click(http, urlencode({"payload": json.dumps(payload)}).encode()).status_code == 200
        slack.wait_for(to(f"fb-stuffed-{n}"))  # thanked: the rating is stored
    records = [r for r in components.feedback.records() if r.answer_id == answer_id]
    assert sorted((r.rater, r.source, r.rating) for r in records) == [
        ("slack:T0001:U0001", "slack", "down"),
        ("slack:T0001:U0002", "slack", "up"),
    ]


def test_feedback_on_an_answer_never_recorded_is_refused_politely(
    http: httpx.Client, slack: FakeSlack, components: Components
) -> None:
    value = json.dumps({"id": "f" * 32, "q": "a question", "r": "2025-12-18"})
    button = {"action_id": "feedback_good", "value": value, "text": {"type": "plain_text"}}
    payload = click_payload(button, f"{slack.url}/response/fb-unknown", ephemeral=True)
    assert click(http, urlencode({"payload": json.dumps(payload)}).encode()).status_code == 200
    note = slack.wait_for(to("fb-unknown"))
    assert note.body["response_type"] == "ephemeral"
    assert "Sorry, I could not do that" in json.dumps(note.body)
    assert not [r for r in components.feedback.records() if r.answer_id == "f" * 32]


def test_a_replayed_click_is_handled_once(http: httpx.Client, slack: FakeSlack) -> None:
    answer = ask(http, slack, "Can the model help with malware?", "replay-answer")
    body = click_body(answer, "show_examples", "replay-click", slack)
    headers = signed(body)
    assert [click(http, body, headers).status_code for _ in range(3)] == [200, 200, 200]
    slack.wait_for(to("replay-click"))
    sentinel = click_body(answer, "show_examples", "replay-sentinel", slack)
    click(http, sentinel)
    slack.wait_for(to("replay-sentinel"))
    assert len(slack.matching(to("replay-click"))) == 1


def test_unsigned_or_forged_clicks_get_401_and_nothing_else(
    http: httpx.Client, slack: FakeSlack
) -> None:
    answer = ask(http, slack, "Is it ok to write erotica for adults?", "forged-answer")
    body = click_body(answer, "share", "forged-click", slack)
    now = str(int(time.time()))
    for headers in (
        signed(body, secret="not-the-secret"),
        signed(body, str(int(now) - 6 * 60)),
        {"X-Slack-Request-Timestamp": now},
    ):
        response = click(http, body, headers)
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "invalid Slack signature"
    time.sleep(0.5)
    assert not slack.matching(to("forged-click"))


def test_signed_but_malformed_clicks_are_400_and_foreign_ones_ignored(
    http: httpx.Client, slack: FakeSlack
) -> None:
    for body in (b"payload=not-json", b"payload=%5B1%5D", b"other=1"):
        assert click(http, body).status_code == 400
    foreign = {"type": "block_actions", "actions": [{"action_id": "someone_else"}]}
    assert click(http, urlencode({"payload": json.dumps(foreign)}).encode()).status_code == 200


def test_a_click_on_an_answer_another_replica_gave_is_answered_again_under_its_id(
    http: httpx.Client, slack: FakeSlack
) -> None:
    value = json.dumps({"id": "a" * 32, "q": "Is it ok to flatter the user?", "r": "2025-12-18"})
    button = {"action_id": "show_examples", "value": value, "text": {"type": "plain_text"}}
    payload = click_payload(button, f"{slack.url}/response/forgot-click", ephemeral=False)
    assert click(http, urlencode({"payload": json.dumps(payload)}).encode()).status_code == 200
    expanded = slack.wait_for(to("forgot-click"))
    assert "Matching examples" in blocks_text(expanded)
    assert "2025-12-18" in blocks_text(expanded)
    assert json.loads(buttons(expanded.body)["feedback_good"]["value"])["id"] == "a" * 32


# --- threads ------------------------------------------------------------------------------------


def thread_answer(http: httpx.Client, slack: FakeSlack, ts: str, thread_ts: str, text: str) -> Post:
    event = mention(ts, f"<@{BOT_USER}> {text}", thread_ts=thread_ts)
    body = event_body(event, f"Ev-{ts}")
    headers = {"Content-Type": "application/json", **signed(body)}
    assert http.post("/slack/events", content=body, headers=headers).status_code == 200
    return slack.wait_for(
        lambda p: p.path == "/api/chat.postMessage" and p.body.get("thread_ts") == thread_ts
    )


def test_a_follow_up_in_a_thread_is_answered_with_the_threads_earlier_questions(
    http: httpx.Client, slack: FakeSlack, components: Components
) -> None:
    with_thread = components.service.answer(FOLLOW, history=[FIRST]).citations[0].section_id
    without = components.service.answer(FOLLOW).citations[0].section_id
    assert with_thread != without  # else this test could not tell whether the thread was used
    parent = "1700000300.000100"
    slack.threads[("C0001", parent)] = [
        {"type": "message", "user": "U0001", "ts": parent, "text": f"<@{BOT_USER}> {FIRST}"},
        {"type": "message", "bot_id": "B1", "user": BOT_USER, "ts": "1700000301.1", "text": "x"},
        {"type": "message", "user": "U0002", "ts": "1700000302.1", "text": "lunch anyone?"},
        {
            "type": "message",
            "user": "U0001",
            "ts": "1700000303.1",
            "text": f"<@{BOT_USER}> {FOLLOW}",
        },
        {"type": "message", "user": "U0001", "ts": "1700000309.1", "text": f"<@{BOT_USER}> later"},
    ]
    followed = thread_answer(http, slack, "1700000303.1", parent, FOLLOW)
    fetched = slack.wait_for(lambda p: p.path == "/api/conversations.replies")
    assert fetched.body["channel"] == "C0001" and fetched.body["ts"] == parent
    assert fetched.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    alone = thread_answer(http, slack, "1700000400.1", "1700000400.0", FOLLOW)  # no history
    assert with_thread in blocks_text(followed) and without not in blocks_text(followed)
    assert without in blocks_text(alone) and with_thread not in blocks_text(alone)


FIRST = "Is it ok to flatter the user?"
FOLLOW = "and if they keep asking?"


def test_the_manifest_points_slack_at_the_routes_and_turns_the_buttons_on(
    http: httpx.Client,
) -> None:
    manifest = yaml.safe_load((REPO / "slack-manifest.yaml").read_text(encoding="utf-8"))
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    urls = [
        manifest["features"]["slash_commands"][0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert [urlsplit(u).path for u in urls] == [
        "/slack/commands",
        "/slack/events",
        "/slack/interactions",
    ]
    for url in urls:  # each exists and is signed (401 unsigned, not 404)
        assert http.post(urlsplit(url).path, content=b"x").status_code == 401
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"channels:history", "groups:history", "im:history", "mpim:history"} <= scopes
