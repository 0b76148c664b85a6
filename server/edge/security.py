"""The one authorisation step of every surface: Origin, bearer key, per-caller rate limit.

:func:`authorize` is called by REST and chat (the :data:`RequireKey` dependency), the web
``/diff`` page (:data:`RateLimited`: no key, like ``/``) and ``/mcp`` (key and Origin). The caller
is its API key when auth is on (only a key that matched: an unauthenticated bearer string never
names a window) and its client address otherwise. Failed authentication is throttled per client
address too, so guessing keys runs into 429. The windows live in :mod:`server.edge.shared_state`
(in process, or in Redis shared by every replica). The client address is the connection's peer,
or the ``X-Forwarded-For`` client when the peer is a trusted proxy (``SPECQA_TRUSTED_PROXIES``,
see :func:`server.app.create_app`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Coroutine
from ipaddress import ip_address
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from server.edge.deps import SettingsDep
from server.edge.errors import Refused
from server.edge.settings import EdgeSettings
from server.edge.shared_state import Throttle

__all__ = [
    "KeyFirstRoute",
    "RateLimited",
    "RequireKey",
    "authorize",
    "check_bearer",
    "client_address",
    "origin_allowed",
    "retry_after",
    "throttled_message",
]

UNAUTHORIZED = "missing or invalid API key (send Authorization: Bearer <key>)"
FOREIGN_ORIGIN = "this Origin may not use this endpoint"
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="specqa"'}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_bearer(header: str | None, keys: list[str]) -> str | None:
    """The configured key the header carries, or None. Every key is compared, in constant time,
    so timing does not reveal which one matched."""
    if not header or not header.lower().startswith("bearer "):
        return None
    presented = header[7:].strip().encode()
    matched = None
    for key in keys:
        if hmac.compare_digest(presented, key.encode()):
            matched = key
    return matched


def authorize(
    request: Request, settings: EdgeSettings, *, key: bool = True, origin: bool = False
) -> Refused | None:
    """None when the request may go on; else the refusal to answer with (not raised).

    In order: the Origin (with ``origin``: see :func:`origin_allowed`), the API key (with ``key``
    and keys configured: 401, or 429 for an address that keeps failing), then the caller's rate
    limit (429 with ``Retry-After``). Raises ``BackendUnavailableError`` when the shared state
    store (Redis) is down.
    """
    headers = request.headers
    if origin and not origin_allowed(headers.get("origin"), headers.get("host"), settings):
        return Refused(403, "forbidden_origin", FOREIGN_ORIGIN)
    throttle: Throttle = request.app.state.shared.throttle
    keys = [k.get_secret_value() for k in settings.http.api_keys] if key else []
    address = client_address(request)
    if keys:
        matched = check_bearer(headers.get("authorization"), keys)
        if matched is None:
            wait = throttle.wait(f"authfail:{address}")
            return (
                _throttled(wait)
                if wait
                else Refused(401, "http_error", UNAUTHORIZED, WWW_AUTHENTICATE)
            )
        identity = "key:" + hashlib.sha256(matched.encode()).hexdigest()[:16]
    else:
        identity = f"ip:{address}"
    request.state.specqa_caller = identity  # who rates, for feedback (server.edge.ratings)
    wait = throttle.wait(identity)
    return _throttled(wait) if wait else None


def retry_after(wait: float) -> str:
    """Whole seconds, rounded up: a client that waits this long is let in."""
    return str(max(1, math.ceil(wait)))


def throttled_message(seconds: str) -> str:
    """What a 429 says, with its ``Retry-After`` (a client that shows only the message, an MCP
    client's, still learns how long to wait)."""
    return f"rate limit exceeded; retry in {seconds} s"


def _throttled(wait: float) -> Refused:
    seconds = retry_after(wait)
    return Refused(429, "http_error", throttled_message(seconds), {"Retry-After": seconds})


def origin_allowed(origin: str | None, host: str | None, settings: EdgeSettings) -> bool:
    """No Origin (not a browser), a configured CORS origin, or the server's own host.

    Without API keys the server's own host must also be a loopback name: a DNS-rebinding page
    shares its host with the request, so only a key or loopback tells it from a real page.
    """
    if origin is None:
        return True
    if origin in settings.http.cors_origins or "*" in settings.http.cors_origins:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not host or parts.netloc.lower() != host.lower():
        return False
    return bool(settings.http.api_keys) or _is_loopback(parts.hostname or "")


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ip_address(hostname).is_loopback
    except ValueError:
        return False


def require_key(request: Request, settings: SettingsDep) -> None:
    if getattr(request.state, "specqa_authorized", False):
        return  # :class:`KeyFirstRoute` checked it, before the body
    refusal = authorize(request, settings)
    if refusal is not None:
        raise refusal
    request.state.specqa_authorized = True


class KeyFirstRoute(APIRoute):
    """A route that runs :func:`authorize` (key, rate limit) before FastAPI reads the request
    body, which it otherwise does before any dependency: a caller without a key is refused
    without the server waiting for, or holding, its body. The route's :data:`RequireKey` then
    finds the request authorised. Used as the ``route_class`` of the REST and chat routers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def key_first(request: Request) -> Response:
            # a thread, as the dependency ran: the rate limit may be a Redis call
            await run_in_threadpool(require_key, request, request.app.state.settings)
            return await handler(request)

        return key_first


def rate_limit(request: Request, settings: SettingsDep) -> None:
    refusal = authorize(request, settings, key=False)
    if refusal is not None:
        raise refusal


RequireKey = Annotated[None, Depends(require_key)]
"""An API key when keys are configured, and the caller's rate limit (REST, chat)."""
RateLimited = Annotated[None, Depends(rate_limit)]
"""The client address's rate limit only (pages that need no key)."""
