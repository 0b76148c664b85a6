"""Loopback stand-ins for Slack, and the requests Slack sends, for the Slack bot's tests.

:class:`FakeSlack` is an HTTP server for the Web API (under ``/api/``: ``chat.postMessage``,
``conversations.replies`` from scripted threads, ``apps.connections.open`` handing out the
websocket of a :class:`FakeSocketMode`) and for ``response_url`` (under ``/response/``); it records
every request. :class:`FakeSocketMode` is a websocket server (the ``websockets`` package) that sends
Socket Mode envelopes to the connected app and records its acks. :func:`signed` signs a body as
Slack does.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test-token"
BOT_USER = "UBOT0001"


@dataclass
class Post:
    path: str  # without the query string
    headers: dict[str, str]
    body: dict[str, Any]  # JSON, or form/query fields
    raw: str


class FakeSlack:
    """``hold`` keeps response_url requests waiting until it is set again; ``threads`` maps
    ``(channel, thread_ts)`` to the messages ``conversations.replies`` returns."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.changed = threading.Condition()
        self.hold = threading.Event()
        self.hold.set()
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.socket_url = ""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reply(self, post: Post) -> dict[str, Any] | None:
        """The Web API's answer to ``post``; None for a response_url."""
        method = post.path.removeprefix("/api/")
        if post.path.startswith("/response/"):
            return None
        if method == "conversations.replies":
            messages = self.threads.get((post.body.get("channel", ""), post.body.get("ts", "")))
            if messages is None:
                return {"ok": False, "error": "thread_not_found"}
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        return {"ok": True, "ts": "1700000999.000100"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                fields = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self._answer(Post(parts.path, dict(self.headers), fields, parts.query))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                parts = urlsplit(self.path)
                if self.headers.get("content-type", "").startswith("application/json"):
                    body = json.loads(raw)
                else:
                    query = f"{parts.query}&{raw}" if parts.query else raw
                    body = {k: v[0] for k, v in parse_qs(query).items()}
                if parts.path.startswith("/response/"):
                    fake.hold.wait(timeout=30)
                self._answer(Post(parts.path, dict(self.headers), body, raw))

            def _answer(self, post: Post) -> None:
                fake.record(post)
                answer = fake.reply(post)
                reply = b"ok" if answer is None else json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def record(self, post: Post) -> None:
        with self.changed:
            self.posts.append(post)
            self.changed.notify_all()

    def wait_for(self, match: Callable[[Post], bool], timeout: float = 60) -> Post:
        with self.changed:
            assert self.changed.wait_for(lambda: any(match(p) for p in self.posts), timeout), (
                "the bot posted nothing matching"
            )
            return next(p for p in self.posts if match(p))

    def matching(self, match: Callable[[Post], bool]) -> list[Post]:
        with self.changed:
            return [p for p in self.posts if match(p)]


class FakeSocketMode:
    """Slack's end of Socket Mode: sends envelopes to the app connected last, records its acks."""

    def __init__(self) -> None:
        self.server = serve(self._session, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.changed = threading.Condition()
        self.connection: ServerConnection | None = None
        self.acks: list[dict[str, Any]] = []
        self.ids = itertools.count(1)

    @property
    def url(self) -> str:
        port = self.server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test-ticket&app_id=A0001"

    def start(self) -> FakeSocketMode:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        with self.changed:
            self.connection = connection
            self.changed.notify_all()
        try:
            for message in connection:
                with self.changed:
                    self.acks.append(json.loads(message))
                    self.changed.notify_all()
        except ConnectionClosed:
            pass

    def send(self, kind: str, payload: dict[str, Any], **fields: Any) -> str:
        """Send an envelope of ``kind`` (slash_commands, events_api, interactive); its id."""
        with self.changed:
            assert self.changed.wait_for(lambda: self.connection is not None, 30), "no app"
            connection = self.connection
        assert connection is not None
        envelope_id = f"env-{next(self.ids)}-{kind}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, **fields}
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        def acked() -> dict[str, Any] | None:
            return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)

        with self.changed:
            assert self.changed.wait_for(lambda: acked() is not None, timeout), "no ack"
            ack = acked()
        assert ack is not None
        return ack


# --- what Slack sends ---------------------------------------------------------------------------


def signed(body: bytes, timestamp: str | None = None, secret: str = SECRET) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def command_fields(text: str, response_url: str) -> dict[str, str]:
    return {
        "token": "legacy-token",
        "team_id": "T0001",
        "channel_id": "C0001",
        "user_id": "U0001",
        "command": "/spec",
        "text": text,
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "api_app_id": "A0001",
    }


def command_body(text: str, response_path: str, base: str) -> bytes:
    return urlencode(command_fields(text, f"{base}/response/{response_path}")).encode()


def event_payload(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "legacy-token",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": "T0001", "user_id": BOT_USER, "is_bot": True}],
        "event": event,
    }


def event_body(event: dict[str, Any], event_id: str) -> bytes:
    return json.dumps(event_payload(event, event_id)).encode()


def mention(ts: str, text: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U0001",
        "text": text,
        "ts": ts,
        "channel": "C0001",
        "event_ts": ts,
        **fields,
    }


def click_payload(
    button: dict[str, Any], response_url: str, *, ephemeral: bool, user: str = "U0001"
) -> dict[str, Any]:
    """A ``block_actions`` payload for a click on ``button`` (one of our answer's buttons)."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "ada", "team_id": "T0001"},
        "api_app_id": "A0001",
        "team": {"id": "T0001", "domain": "example"},
        "container": {
            "type": "message",
            "message_ts": "1700000999.000100",
            "channel_id": "C0001",
            "is_ephemeral": ephemeral,
        },
        "channel": {"id": "C0001", "name": "general"},
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "actions": [
            {
                "type": "button",
                "block_id": "answer_actions",
                "action_id": button["action_id"],
                "value": button["value"],
                "text": button["text"],
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def buttons(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The buttons of a posted message, by action id."""
    return {
        element["action_id"]: element
        for block in body.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    }
