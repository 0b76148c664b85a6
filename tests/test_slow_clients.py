"""Slow and unauthenticated clients cannot hold the server (issue 24 item 6), over raw sockets to
a real uvicorn on loopback: a body dripped byte by byte is cut off at ``SPECQA_BODY_TIMEOUT_S``;
with API keys set, a request without a key is refused with 401 before its body is read (and its
connection closed); Slack's routes refuse a request without fresh signature headers before its
body; one connection over ``SPECQA_MAX_CONNECTIONS`` is answered 503 and closed at once."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from fakes.slack_api import SECRET
from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.settings import Settings
from tests.conftest import make_settings
from tests.helpers import live_server, wait_until

KEY = "slow-clients-key"
BODY_TIMEOUT_S = 2.0
MAX_CONNECTIONS = 12
ANNOUNCED = 5000  # the Content-Length every partial body announces and never completes


@pytest.fixture(scope="module")
def address(built: tuple[Settings, IngestReport], parts: Components) -> Iterator[tuple[str, int]]:
    settings = make_settings(
        built[0].index.index_dir,
        api_keys=KEY,
        rate_limit_per_minute=0,
        body_timeout_s=BODY_TIMEOUT_S,
        header_timeout_s=30.0,  # idle connections stay open for the cap's test
        max_connections=MAX_CONNECTIONS,
        slack_signing_secret=SECRET,
    )
    app = create_app(settings, parts.derive(settings))
    with live_server(app) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def head(path: str, key: str | None, length: int = ANNOUNCED) -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"{auth}Content-Length: {length}\r\n\r\n"
    ).encode()


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server has closed ``connection`` (reads what it sent until the end, without
    waiting)."""
    timeout = connection.gettimeout()
    connection.settimeout(0)
    try:
        while True:
            if not connection.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        connection.settimeout(timeout)


def test_a_dripping_body_is_cut_off_within_the_deadline(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(head("/v1/answer", KEY) + b'{"question": "')
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < BODY_TIMEOUT_S + 10:
            time.sleep(0.25)
            try:
                connection.sendall(b"a")  # one byte at a time, never the whole body
            except OSError:
                closed = True
            closed = closed or closed_by_server(connection)
        took = time.monotonic() - started
    assert closed, "the server kept a connection whose body never ended"
    assert BODY_TIMEOUT_S - 0.5 <= took <= BODY_TIMEOUT_S + 2.5, took


@pytest.mark.parametrize(
    "path",
    ["/v1/answer", "/v1/feedback", "/v1/chat/completions", "/v1/audit", "/slack/events"],
)
def test_a_request_without_a_key_is_refused_before_its_body(
    address: tuple[str, int], path: str
) -> None:
    """Slack is authenticated by a signature over the body: without fresh signature headers it
    is refused unread; with them, its body is bounded by the deadline and the size limit."""
    with socket.create_connection(address, timeout=BODY_TIMEOUT_S / 2) as connection:
        connection.sendall(head(path, None) + b'{"question": "who')  # 16 of 5,000 bytes
        reply = connection.recv(65536)  # before the body deadline, or this times out
        assert reply.startswith(b"HTTP/1.1 401 "), reply[:200]
        wait_until(lambda: closed_by_server(connection), 2.0, "the connection to be closed")


def test_a_wrong_key_is_refused_before_its_body_too(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=BODY_TIMEOUT_S / 2) as connection:
        connection.sendall(head("/v1/answer", "not-the-key") + b"{")
        assert connection.recv(65536).startswith(b"HTTP/1.1 401 ")


@pytest.mark.parametrize(
    ("key", "size", "status"), [(None, 60_000, b"401"), (KEY, 4_000_000, b"413")]
)
def test_a_client_still_sending_a_refused_body_reads_the_refusal_not_a_reset(
    address: tuple[str, int], key: str | None, size: int, status: bytes
) -> None:
    """Refused unread (no key; or announced over the size limit), the rest of a body that keeps
    coming is dropped for a moment before the connection closes, so the client reads the reply."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(head("/v1/answer", key, size))
        for start in range(0, size, 60_000):
            connection.sendall(b"a" * min(60_000, size - start))
        reply = connection.recv(65536)
    assert reply.startswith(b"HTTP/1.1 " + status + b" "), reply[:200]


def test_a_request_with_the_key_is_answered_and_the_connection_kept(
    address: tuple[str, int],
) -> None:
    body = b'{"question": "Should the model reveal its system prompt?"}'
    with socket.create_connection(address, timeout=60) as connection:
        for _ in range(2):  # keep-alive: a second request on the same connection
            connection.sendall(head("/v1/answer", KEY, len(body)) + body)
            reply = b""
            while b'"id"' not in reply or not reply.rstrip().endswith(b"}"):
                chunk = connection.recv(65536)
                assert chunk, reply[:300]
                reply += chunk
            assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]


def test_connections_over_the_cap_get_503_and_are_closed(address: tuple[str, int]) -> None:
    """Refused, not queued: the extra connection is answered 503 (Retry-After: 1) and closed
    without waiting for its request; once connections close, new ones are served again."""
    url = f"http://{address[0]}:{address[1]}/healthz"
    with ExitStack() as stack:
        held = [
            stack.enter_context(socket.create_connection(address, timeout=10))
            for _ in range(MAX_CONNECTIONS)
        ]
        for connection in held:  # each accepted and idle: a request line, no more
            connection.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.5)
        with socket.create_connection(address, timeout=5) as extra:
            reply = extra.recv(65536)
            assert reply.startswith(b"HTTP/1.1 503 "), reply[:200]
            assert b"retry-after: 1" in reply.lower() and b"too many open connections" in reply
            wait_until(lambda: closed_by_server(extra), 2.0, "the extra connection to be closed")
        assert [closed_by_server(c) for c in held] == [False] * MAX_CONNECTIONS  # untouched
    wait_until(lambda: _healthy(url), 10.0, "a new connection to be served again")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
