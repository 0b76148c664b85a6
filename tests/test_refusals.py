"""One authorisation step for every surface: REST, chat, the /diff page and /mcp refuse with the
same error type and message, the same status and the same Retry-After, whichever door is knocked
on (/mcp's body is also a JSON-RPC error, so that an MCP client shows the message)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest

from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.edge.security import UNAUTHORIZED, throttled_message
from server.settings import Settings
from tests.conftest import make_settings
from tests.helpers import free_port, live_server
from tests.test_mcp import INITIALIZE, JSON_HEADERS

KEY = "refusal-test-key"
RATE = 3


Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="module")
def serve(built: tuple[Settings, IngestReport], parts: Components) -> Serve:
    """Starts the app under uvicorn with these settings; the context yields its base URL."""

    def start(**overrides: object) -> AbstractContextManager[str]:
        settings = make_settings(built[0].index.index_dir, **overrides)
        return live_server(create_app(settings, parts.derive(settings)))

    return start


def _knock(http: httpx.Client, door: str, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if door == "mcp":
        return http.post("/mcp", json=INITIALIZE, headers={**JSON_HEADERS, **headers})
    if door == "chat":
        return http.get("/v1/models", headers=headers)
    if door == "diff":
        return http.get("/diff?from=2025-10-27&to=2025-12-18&section=do_not_lie")
    return http.get("/v1/releases", headers=headers)


def _error(response: httpx.Response) -> dict[str, str]:
    """The refusal's type and message; /mcp's body must also be a JSON-RPC error."""
    body = response.json()
    if response.request.url.path == "/mcp":
        assert body["jsonrpc"] == "2.0" and body["id"] is None
        assert body["error"].pop("code") == -32000
        return body["error"]
    assert set(body) == {"error"}
    return body["error"]


def test_rest_chat_and_mcp_refuse_a_missing_key_alike(serve: Serve) -> None:
    with (
        serve(api_keys=KEY, rate_limit_per_minute=0) as url,
        httpx.Client(base_url=url, trust_env=False, timeout=60) as http,
    ):
        refusals = [_knock(http, door, None) for door in ("rest", "chat", "mcp")]
        assert _knock(http, "diff", None).status_code == 200  # the page needs no key
    for response in refusals:
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="specqa"'
        assert _error(response) == {"type": "http_error", "message": UNAUTHORIZED}


def test_every_door_throttles_with_the_same_body_and_retry_after(
    serve: Serve,
) -> None:
    with (
        serve(api_keys=KEY, rate_limit_per_minute=RATE) as url,
        httpx.Client(base_url=url, trust_env=False, timeout=60) as http,
    ):
        # one window per key, whichever door it uses
        keyed = [_knock(http, door, KEY) for door in ("rest", "chat", "mcp", "rest", "mcp")]
        # the page is counted per client address
        pages = [_knock(http, "diff", None) for _ in range(RATE + 1)]
    assert [r.status_code for r in keyed] == [200] * RATE + [429, 429]
    assert [r.status_code for r in pages] == [200] * RATE + [429]
    for response in [*keyed[RATE:], pages[-1]]:
        seconds = response.headers["retry-after"]
        assert _error(response) == {"type": "http_error", "message": throttled_message(seconds)}
        assert 1 <= int(seconds) <= 60


def test_a_down_rate_limit_store_is_the_same_503_on_every_door(serve: Serve) -> None:
    redis_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with (
        serve(redis_url=redis_url) as url,
        httpx.Client(base_url=url, trust_env=False, timeout=60) as http,
    ):
        refusals = [_knock(http, door, None) for door in ("rest", "chat", "mcp", "diff")]
    bodies = [_error(r) for r in refusals]
    assert [r.status_code for r in refusals] == [503] * 4
    assert bodies[0]["type"] == "BackendUnavailableError"
    assert "Redis" in bodies[0]["message"]
    assert all(body == bodies[0] for body in bodies)


def test_mcp_with_a_trailing_slash_is_mcp_and_a_body_too_large_is_a_json_rpc_error(
    serve: Serve,
) -> None:
    """ "/mcp/" took REST's 64 KiB limit (after a 307 on every call) where "/mcp" takes a
    conversation's 1 MiB; past that, the 413 was REST's body, which the MCP client shows only
    as "Server returned an error response"."""
    with (
        serve(rate_limit_per_minute=0) as url,
        httpx.Client(base_url=url, trust_env=False, timeout=60) as http,
    ):
        long = {**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * 100_000}}
        answered = http.post("/mcp/", json=long, headers=JSON_HEADERS)
        too_large = http.post("/mcp/", json={"padding": "x" * 1_100_000}, headers=JSON_HEADERS)
    assert answered.status_code == 200, answered.text
    assert too_large.status_code == 413
    body = too_large.json()
    assert body["jsonrpc"] == "2.0" and body["error"]["code"] == -32000
    assert body["error"]["message"] == "request body larger than 1048576 bytes"
