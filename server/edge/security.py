"""Bearer-token auth and a per-caller rate limit for /v1 and /mcp.

The caller is its API key when auth is on (only a key that matched: an unauthenticated bearer
string never names a window) and its client address otherwise. Failed authentication is throttled
per client address too, so guessing keys runs into 429. The windows live in
:mod:`server.edge.shared_state` (in process, or in Redis shared by every replica). The client address
is the connection's peer, or the ``X-Forwarded-For`` client when the peer is a trusted proxy
(``SPECQA_TRUSTED_PROXIES``, see :func:`server.app.create_app`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from server.edge.deps import SettingsDep
from server.edge.shared_state import Throttle
from specqa.core.settings import Settings

__all__ = ["RequireKey", "admit", "check_bearer", "client_address"]

UNAUTHORIZED = "missing or invalid API key (send Authorization: Bearer <key>)"
THROTTLED = "rate limit exceeded; retry later"
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


def admit(request: Request, settings: Settings) -> tuple[int, str, dict[str, str]] | None:
    """None when the request may go on; else (status, message, headers) of the refusal."""
    throttle: Throttle = request.app.state.shared.throttle
    keys = [k.get_secret_value() for k in settings.api_keys]
    address = client_address(request)
    if keys:
        key = check_bearer(request.headers.get("authorization"), keys)
        if key is None:
            wait = throttle.wait(f"authfail:{address}")
            return _throttled(wait) if wait else (401, UNAUTHORIZED, WWW_AUTHENTICATE)
        identity = "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    else:
        identity = f"ip:{address}"
    wait = throttle.wait(identity)
    return _throttled(wait) if wait else None


def _throttled(wait: float) -> tuple[int, str, dict[str, str]]:
    return 429, THROTTLED, {"Retry-After": str(math.ceil(wait))}


def require_key(request: Request, settings: SettingsDep) -> None:
    refusal = admit(request, settings)
    if refusal is not None:
        code, message, headers = refusal
        raise HTTPException(code, detail=message, headers=headers)


RequireKey = Annotated[None, Depends(require_key)]
