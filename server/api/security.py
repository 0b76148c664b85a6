"""Bearer-token auth and a per-key rate limit for /v1 and /mcp.

The rate limiter is a small in-process token bucket: the well-kept options (slowapi/limits) add
a storage layer we do not need for one process, and with several workers each enforces its own
share, which the README states.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from server.api.deps import SettingsDep

__all__ = ["RateLimiter", "RequireKey", "client_key"]


def client_key(request: Request) -> str:
    """The caller's identity: its API key when auth is on, else its address."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return "key:" + header[7:].strip()
    return "ip:" + (request.client.host if request.client else "unknown")


def check_bearer(header: str | None, keys: list[str]) -> bool:
    if not keys:
        return True
    if not header or not header.lower().startswith("bearer "):
        return False
    presented = header[7:].strip().encode()
    matched = False
    for key in keys:  # compare against every key so timing does not reveal which one matched
        matched |= hmac.compare_digest(presented, key.encode())
    return matched


def require_key(request: Request, settings: SettingsDep) -> None:
    keys = [k.get_secret_value() for k in settings.api_keys]
    if not check_bearer(request.headers.get("authorization"), keys):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid API key (send Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": 'Bearer realm="specqa"'},
        )
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.acquire(client_key(request))
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="rate limit exceeded; retry later",
            headers={"Retry-After": str(math.ceil(wait))},
        )


RequireKey = Annotated[None, Depends(require_key)]


class RateLimiter:
    """Token bucket per key: ``per_minute`` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """0 when allowed, else the seconds until a token is free."""
        if self.capacity <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
