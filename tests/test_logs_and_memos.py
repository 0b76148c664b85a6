"""Log lines carry a timestamp and the request id (domain lines too), and the per-index memos of
the answering service are bounded and dropped when the index changes. No index needed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.edge.observability import Metrics, RequestMiddleware
from specqa.core.logs import JsonFormatter, get_logger
from specqa.core.memo import IndexMemo


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the ``specqa`` loggers write, formatted as a server writes it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("specqa")
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(saved)


def _domain_route(request: Request) -> PlainTextResponse:
    get_logger("server.domain.example").info("looked something up")
    return PlainTextResponse("ok")


def test_a_domain_log_line_inside_a_request_carries_a_timestamp_and_that_requests_id(
    log_lines: io.StringIO,
) -> None:
    app = RequestMiddleware(
        Starlette(routes=[Route("/x", _domain_route)]),
        Metrics(),
        max_body_bytes=1000,
        max_header_bytes=8000,
    )
    transport = httpx.ASGITransport(app=app)

    async def call() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            reply = await client.get("/x", headers={"x-request-id": "req-42"})
            assert reply.status_code == 200

    anyio.run(call)
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    domain = next(line for line in lines if line["message"] == "looked something up")
    assert domain["logger"] == "specqa.server.domain.example"
    assert domain["request_id"] == "req-42"
    assert datetime.fromisoformat(domain["time"]).tzinfo is not None


def test_a_log_line_outside_any_request_has_a_timestamp_and_no_request_id(
    log_lines: io.StringIO,
) -> None:
    get_logger("ingest.pipeline").info("ingesting")
    line = json.loads(log_lines.getvalue().splitlines()[-1])
    assert "request_id" not in line
    assert line["time"].endswith("+00:00")


def test_an_index_memo_computes_once_per_key_and_forgets_the_old_index() -> None:
    memo: IndexMemo[str, int] = IndexMemo(limit=10)
    calls: list[str] = []

    def compute(key: str) -> int:
        calls.append(key)
        return len(calls)

    assert memo.get("index-1", "a", lambda: compute("a")) == 1
    assert memo.get("index-1", "a", lambda: compute("a")) == 1
    assert memo.get("index-2", "a", lambda: compute("a")) == 2  # a new index: computed anew
    assert len(memo) == 1


def test_an_index_memo_keeps_at_most_its_limit_dropping_the_least_recently_used() -> None:
    memo: IndexMemo[int, int] = IndexMemo(limit=3)
    for key in range(3):
        memo.get("i", key, lambda key=key: key * 10)  # type: ignore[misc]
    memo.get("i", 0, lambda: -1)  # 0 is now the most recently used
    memo.get("i", 3, lambda: 30)
    assert len(memo) == 3
    assert memo.get("i", 0, lambda: -1) == 0  # kept
    assert memo.get("i", 1, lambda: -1) == -1  # the least recently used went first
