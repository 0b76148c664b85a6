"""One answer's LLM time budget, kept on the wire as well as between calls.

An HTTP client's timeouts bound each read, not a whole reply: a server that trickles one byte at a
time never trips them. So a :class:`Deadline` also holds the connections its calls open (through
httpcore's ``trace`` extension, see :func:`trace_connections`) and, when its time is up, shuts
them down: whatever read is waiting wakes at once, the call fails, and the answer falls back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

from server.domain.watchdog import Watchdog, shut_down

__all__ = ["Deadline", "LLMBusy", "LLMUnavailable", "trace_connections", "under"]

# The trace events whose return value is the connection a call reads from (TLS wraps the TCP one).
_CONNECTED = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})

_calling = threading.local()  # the deadline of the call this thread is making, if any


class LLMUnavailable(Exception):
    """The LLM could not give an answer (after retries); the reason is the message."""


class LLMBusy(LLMUnavailable):
    """Every LLM slot is taken."""


class Deadline(Watchdog):
    """What is left of one answer's time budget; while entered, its connections end with it."""

    def exceeded(self) -> LLMUnavailable:
        return LLMUnavailable(f"the LLM did not answer within {self.seconds:g} s")

    def check(self) -> float:
        left = self.left()
        if left <= 0:
            raise self.exceeded()
        return left

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` callback: holds each connection a call opens."""
        connection = info.get("return_value")
        if event in _CONNECTED and connection is not None:
            self.hold(lambda: shut_down(connection.get_extra_info("socket")))


@contextmanager
def under(deadline: Deadline) -> Iterator[None]:
    """Calls made by this thread inside the block open connections ``deadline`` holds."""
    _calling.deadline = deadline
    try:
        yield
    finally:
        _calling.deadline = None


def trace_connections(request: httpx2.Request) -> None:
    """An httpx request hook: the call's connections are held by the deadline it runs under."""
    deadline = getattr(_calling, "deadline", None)
    if deadline is not None:
        request.extensions["trace"] = deadline.trace
