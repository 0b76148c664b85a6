"""Answers run on their own bounded set of threads, never in the shared pool.

FastAPI runs every sync route in one thread pool; an answer that waits for an LLM must not take a
thread that ``/healthz``, ``/readyz``, ``/metrics``, ``/v1/search`` or the page need. The answer
routes are async and hand their work (and each step of a stream) to the ``answer_threads`` limiter.
LLM calls themselves are capped lower still (``llm_max_concurrent``; past it: extractive).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Request

__all__ = ["iterate_answer", "run_answer", "run_audit"]

T = TypeVar("T")
_END = object()


def _limiter(request: Request) -> CapacityLimiter:
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "answer_limiter", None)
    if limiter is None:  # made on the event loop, at the first answer
        limiter = state.answer_limiter = CapacityLimiter(state.settings.http.answer_threads)
    return limiter


async def run_answer(request: Request, call: Callable[[], T]) -> T:
    return await to_thread.run_sync(call, limiter=_limiter(request))


async def run_audit(request: Request, call: Callable[[], T]) -> T:
    """An audit on the audit threads (``audit_threads``): however many audits are waiting,
    answers, health, readiness, metrics and search never queue behind them."""
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "audit_limiter", None)
    if limiter is None:
        limiter = state.audit_limiter = CapacityLimiter(state.settings.http.audit_threads)
    return await to_thread.run_sync(call, limiter=limiter)


async def iterate_answer(request: Request, items: Iterator[T]) -> AsyncIterator[T]:
    """``items`` stepped on the answer threads; closed (its LLM slot freed) when the reader stops."""
    limiter = _limiter(request)
    try:
        while (item := await to_thread.run_sync(next, items, _END, limiter=limiter)) is not _END:
            yield item  # type: ignore[misc]
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            with CancelScope(shield=True):  # also when the client went away
                await to_thread.run_sync(close, limiter=limiter)
