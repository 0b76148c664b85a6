"""State that replicas share: rate-limit windows and the Slack replay cache.

Without ``SPECQA_REDIS_URL`` both live in this process, bounded and expiring. With it, both live in
Redis, so every replica behind a load balancer enforces one limit per caller and a Slack retry that
reaches another replica is still answered once. The rate limit is the ``limits`` library's moving
window (``MovingWindowRateLimiter``) over its memory or Redis storage; the replay cache is one
``SET NX EX`` per key in Redis.

Every Redis call waits at most ``SPECQA_REDIS_TIMEOUT_S`` (connect and socket timeouts; a timeout
is not retried, a dropped connection is retried once at once), so a hung Redis costs a
rate-limited request about that before its 503. ``/readyz`` asks :meth:`SharedState.heartbeat`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from server.edge.settings import EdgeSettings
from specqa.core.errors import BackendUnavailableError

__all__ = [
    "BoundedMemoryStorage",
    "MemoryReplayCache",
    "RedisReplayCache",
    "ReplayCache",
    "SharedState",
    "Throttle",
    "build_shared_state",
    "redis_options",
]

MAX_TRACKED_CALLERS = 10_000  # in-process windows kept at most; the least recently seen go first
REPLAY_TTL_S = 3600  # Slack retries an event for about an hour at most; signatures live 5 minutes
REDIS_UNREACHABLE = "the shared state store (Redis) is unreachable"


class BoundedMemoryStorage(MemoryStorage):
    """``limits``' in-process storage with a cap on the callers it tracks.

    ``MemoryStorage`` expires the entries of a window but keeps every key it has seen; past
    ``max_keys`` this drops the keys whose window is empty or expired, then, if still full, the
    least recently seen half.
    """

    def __init__(self, max_keys: int = MAX_TRACKED_CALLERS) -> None:
        super().__init__()
        self.max_keys = max_keys
        self._prune_lock = threading.Lock()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if key not in self.events and len(self.events) >= self.max_keys:
            self._prune(expiry)
        return bool(super().acquire_entry(key, limit, expiry, amount))

    def _prune(self, expiry: int) -> None:
        with self._prune_lock:
            oldest_live = time.time() - expiry
            for key, entries in list(self.events.items()):
                if not entries or entries[0].atime < oldest_live:  # newest entry first
                    self.clear(key)
            if len(self.events) < self.max_keys:
                return
            by_last_seen = sorted(
                self.events, key=lambda k: self.events[k][0].atime if self.events.get(k) else 0.0
            )
            for key in by_last_seen[: len(by_last_seen) - self.max_keys // 2]:
                self.clear(key)


class Throttle:
    """``per_minute`` requests in any 60-second window per identity; 0 turns it off."""

    def __init__(self, storage: Any, per_minute: int) -> None:
        self.storage = storage
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = MovingWindowRateLimiter(storage)

    def wait(self, identity: str) -> float:
        """0 when ``identity`` may go on (and counts the request), else seconds to wait."""
        if self.item is None:
            return 0.0
        try:
            if self.limiter.hit(self.item, identity):
                return 0.0
            reset = self.limiter.get_window_stats(self.item, identity).reset_time
        except StorageError as exc:
            raise BackendUnavailableError(f"{REDIS_UNREACHABLE}: {exc}", REDIS_UNREACHABLE) from exc
        return max(1.0, reset - time.time())


class ReplayCache(Protocol):
    def first_time(self, *keys: str) -> bool:
        """Record ``keys``; False when any of them was recorded before."""
        ...


class MemoryReplayCache:
    """A bounded LRU of keys already taken, each forgotten after ``ttl_s``."""

    def __init__(self, size: int = 10_000, ttl_s: float = REPLAY_TTL_S) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._expires: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._expires and next(iter(self._expires.values())) <= now:
                self._expires.popitem(last=False)
            if any(self._expires.get(key, 0.0) > now for key in keys):
                return False
            for key in keys:
                self._expires[key] = now + self.ttl_s
                self._expires.move_to_end(key)
            while len(self._expires) > self.size:
                self._expires.popitem(last=False)
            return True


def redis_options(timeout_s: float) -> dict[str, Any]:
    """Client options: each call waits at most ``timeout_s``; only a dropped connection is
    retried (once, at once), never a timeout, so a hung Redis costs one timeout, not four."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    }


class RedisReplayCache:
    """The replay cache in Redis: ``SET key 1 NX EX ttl`` for each key, in one round trip."""

    def __init__(
        self,
        url: str,
        ttl_s: int = REPLAY_TTL_S,
        prefix: str = "specqa:seen:",
        timeout_s: float = 0.5,
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(url, **redis_options(timeout_s))
        self.ttl_s = ttl_s
        self.prefix = prefix

    def first_time(self, *keys: str) -> bool:
        import redis

        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(self.prefix + key, 1, nx=True, ex=self.ttl_s)
                taken = pipe.execute()
        except redis.RedisError as exc:
            raise BackendUnavailableError(f"{REDIS_UNREACHABLE}: {exc}", REDIS_UNREACHABLE) from exc
        return all(taken)

    def heartbeat(self) -> None:
        import redis

        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise BackendUnavailableError(f"{REDIS_UNREACHABLE}: {exc}", REDIS_UNREACHABLE) from exc


@dataclass
class SharedState:
    throttle: Throttle
    replays: ReplayCache

    @property
    def kind(self) -> str:
        return "redis" if isinstance(self.replays, RedisReplayCache) else "memory"

    def heartbeat(self) -> None:
        """BackendUnavailableError when the state lives in Redis and Redis does not answer."""
        if isinstance(self.replays, RedisReplayCache):
            self.replays.heartbeat()


def build_shared_state(settings: EdgeSettings) -> SharedState:
    if settings.redis.url:
        timeout_s = settings.redis.timeout_s
        storage = storage_from_string(
            settings.redis.url, wrap_exceptions=True, **redis_options(timeout_s)
        )
        replays: ReplayCache = RedisReplayCache(settings.redis.url, timeout_s=timeout_s)
    else:
        storage = BoundedMemoryStorage()
        replays = MemoryReplayCache()
    return SharedState(Throttle(storage, settings.http.rate_limit_per_minute), replays)
