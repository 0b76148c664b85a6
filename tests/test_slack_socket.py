"""Slack over Socket Mode: the app under uvicorn with only an app token and a bot token (no signing
secret, no public URL). Its lifespan asks the stand-in Web API for a websocket URL
(``apps.connections.open``); a local websocket server (the ``websockets`` package) plays Slack's
end, sends envelopes as Slack does and records the acks; the stand-in records the posts."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from fakes.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    FakeSlack,
    FakeSocketMode,
    Post,
    buttons,
    click_payload,
    command_fields,
    event_payload,
    mention,
)
from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.settings import Settings
from server.slack.bot import USAGE, WORKING
from tests.conftest import make_settings
from tests.helpers import live_server


@pytest.fixture(scope="module")
def socket(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    fake = FakeSocketMode().start()
    slack.socket_url = fake.url
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def http(
    built: tuple[Settings, IngestReport],
    parts: Components,
    slack: FakeSlack,
    socket: FakeSocketMode,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    database = tmp_path_factory.mktemp("feedback") / "feedback.sqlite"
    settings = make_settings(
        built[0].index.index_dir,
        feedback_database_url=f"sqlite:///{database}",
        slack_app_token=APP_TOKEN,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=f"{slack.url}/api/",
    )
    app = create_app(settings, parts.derive(settings))
    with (
        live_server(app) as url,
        httpx.Client(base_url=url, timeout=30, trust_env=False) as client,
    ):
        yield client


def test_the_app_opens_a_socket_mode_connection_with_its_app_token(
    http: httpx.Client, slack: FakeSlack, socket: FakeSocketMode
) -> None:
    opened = slack.wait_for(lambda p: p.path == "/api/apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    envelope = socket.send("hello_probe", {})
    assert socket.wait_ack(envelope) == {"envelope_id": envelope}, "every envelope is acked"
    body = b'{"type": "url_verification", "challenge": "c"}'
    assert http.post("/slack/events", content=body).status_code == 404, "no signing secret"


def test_a_slash_command_is_acked_with_a_payload_then_answered_privately(
    http: httpx.Client, slack: FakeSlack, socket: FakeSocketMode
) -> None:
    fields = command_fields("Should the model reveal its system prompt?", "")
    fields["response_url"] = f"{slack.url}/response/sock-cmd"
    started = time.monotonic()
    envelope = socket.send("slash_commands", fields, accepts_response_payload=True)
    ack = socket.wait_ack(envelope)
    assert time.monotonic() - started < 3
    assert ack == {
        "envelope_id": envelope,
        "payload": {"response_type": "ephemeral", "text": WORKING},
    }
    answer = slack.wait_for(lambda p: p.path == "/response/sock-cmd")
    assert answer.body["response_type"] == "ephemeral"
    assert "protect_privileged_information" in json.dumps(answer.body["blocks"])
    assert set(buttons(answer.body)) == {"show_examples", "share", "feedback_good", "feedback_bad"}

    payload = click_payload(
        buttons(answer.body)["show_examples"], f"{slack.url}/response/sock-click", ephemeral=True
    )
    envelope = socket.send("interactive", payload)
    assert socket.wait_ack(envelope) == {"envelope_id": envelope}
    expanded = slack.wait_for(lambda p: p.path == "/response/sock-click")
    assert expanded.body["replace_original"] is True
    assert "Matching examples" in json.dumps(expanded.body["blocks"])

    payload = click_payload(
        buttons(answer.body)["feedback_good"], f"{slack.url}/response/sock-fb", ephemeral=True
    )
    envelope = socket.send("interactive", payload)
    assert socket.wait_ack(envelope) == {"envelope_id": envelope}
    thanks = slack.wait_for(lambda p: p.path == "/response/sock-fb")
    assert "Recorded 👍" in json.dumps(thanks.body, ensure_ascii=False)


def test_help_over_socket_mode_is_the_usage_in_the_ack(socket: FakeSocketMode) -> None:
    envelope = socket.send("slash_commands", command_fields("help", "http://127.0.0.1:9/x"))
    assert socket.wait_ack(envelope)["payload"] == {"response_type": "ephemeral", "text": USAGE}


def test_a_mention_is_answered_in_its_thread_once_even_when_redelivered(
    http: httpx.Client, slack: FakeSlack, socket: FakeSocketMode
) -> None:
    ts = "1700000500.000100"
    payload = event_payload(mention(ts, f"<@{BOT_USER}> is it ok to be sycophantic?"), "EvSock1")
    first = socket.send("events_api", payload, retry_attempt=0, retry_reason="")
    again = socket.send("events_api", payload, retry_attempt=1, retry_reason="timeout")
    assert socket.wait_ack(first) == {"envelope_id": first}
    assert socket.wait_ack(again) == {"envelope_id": again}

    def in_thread(p: Post) -> bool:
        return p.path == "/api/chat.postMessage" and p.body.get("thread_ts") == ts

    post = slack.wait_for(in_thread)
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert post.body["channel"] == "C0001"
    assert "avoid_sycophancy" in json.dumps(post.body["blocks"])
    assert "share" not in buttons(post.body), "a thread answer is already public"
    sentinel = "1700000501.000100"
    socket.send("events_api", event_payload(mention(sentinel, f"<@{BOT_USER}> hi"), "EvSock2"))
    slack.wait_for(lambda p: p.body.get("thread_ts") == sentinel)
    assert len(slack.matching(in_thread)) == 1
