"""The chat-completions client: any OpenAI-compatible endpoint, bounded in every direction.

* Every call sends ``max_tokens``.
* At most ``llm_max_concurrent`` answers use the LLM at once: :meth:`LLMClient.slot` refuses the
  next one at once (:class:`LLMBusy`), so the caller answers extractively instead of queueing.
* One answer's LLM work (routing, answer, retries, Retry-After waits) fits in ``llm_deadline_s``,
  wall-clock: each call's timeout is what is left of it, and when it runs out the call's connection
  is shut down (:mod:`server.domain.answering.llm.deadline`), even mid-reply. Connections are not kept
  alive between calls, so every call's connection is one its deadline holds.
* Timeouts, connection errors, 429 and 5xx are retried a bounded number of times; then, or on any
  other error, :class:`LLMUnavailable` says why, so the caller can fall back to an extractive answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx2

from server.domain.answering.llm.deadline import (
    Deadline,
    LLMBusy,
    LLMUnavailable,
    trace_connections,
    under,
)
from server.domain.settings import LlmSettings

# openai is imported where a client is built or its errors are read, not here: importing it takes
# about 0.7 s of a 2-core machine, a tenth of a server's cold start, and a server with no LLM
# configured never needs it.
if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

__all__ = ["Deadline", "LLMBusy", "LLMClient", "LLMUnavailable"]


class LLMClient:
    """Calls the chat-completions API; raises LLMUnavailable when it gives up."""

    def __init__(self, settings: LlmSettings) -> None:
        import openai

        if not settings.model:
            raise ValueError("an LLM model name is required")
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        self.settings = settings
        self.model = settings.model
        self._slots = threading.BoundedSemaphore(settings.max_concurrent)
        self.client = openai.OpenAI(
            api_key=key,
            base_url=settings.base_url,
            timeout=settings.timeout_s,
            max_retries=0,
            http_client=openai.DefaultHttpxClient(
                timeout=settings.timeout_s,
                limits=httpx2.Limits(max_keepalive_connections=0),
                event_hooks={"request": [trace_connections]},
            ),
        )

    @contextmanager
    def slot(self, wait_s: float = 0.0) -> Iterator[Deadline]:
        """One answer's turn at the LLM, with its deadline; LLMBusy when every slot is taken
        (after waiting up to ``wait_s`` for one)."""
        if wait_s > 0:
            acquired = self._slots.acquire(timeout=wait_s)
        else:
            acquired = self._slots.acquire(blocking=False)
        if not acquired:
            raise LLMBusy(
                f"{self.settings.max_concurrent} LLM answers are already being written "
                "(SPECQA_LLM_MAX_CONCURRENT)"
            )
        try:
            with Deadline(self.settings.deadline_s) as deadline:
                yield deadline
        finally:
            self._slots.release()

    def complete(
        self,
        messages: list[ChatCompletionMessageParam],
        deadline: Deadline,
        max_tokens: int,
        response_format: dict[str, Any] | None = None,
    ) -> str:
        response = self._create(
            messages, deadline, max_tokens, stream=False, response_format=response_format
        )
        try:
            content = response.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as exc:
            raise LLMUnavailable(f"the LLM returned a malformed reply: {exc}") from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMUnavailable("the LLM returned an empty reply")
        return content

    def stream(
        self, messages: list[ChatCompletionMessageParam], deadline: Deadline, max_tokens: int
    ) -> Iterator[str]:
        stream = self._create(messages, deadline, max_tokens, stream=True)
        with stream:  # closes the connection when the reader stops early
            yield from _pieces(stream, deadline)

    def _call(
        self,
        messages: list[ChatCompletionMessageParam],
        deadline: Deadline,
        max_tokens: int,
        *,
        stream: bool,
        timeout: float,
        response_format: Any,
    ) -> Any:
        with under(deadline):
            return self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=0,
                max_tokens=max_tokens,
                stream=stream,
                timeout=timeout,
                response_format=response_format,
            )

    def _create(
        self,
        messages: list[ChatCompletionMessageParam],
        deadline: Deadline,
        max_tokens: int,
        *,
        stream: bool,
        response_format: dict[str, Any] | None = None,
    ) -> Any:
        """One chat-completions call (retried within the deadline), whole or streamed."""
        import openai

        rf: Any = response_format if response_format else openai.omit
        return self._with_retries(
            lambda timeout: self._call(
                messages, deadline, max_tokens, stream=stream, timeout=timeout, response_format=rf
            ),
            deadline,
        )

    def _with_retries(self, call: Any, deadline: Deadline) -> Any:
        import openai

        retryable = (
            openai.APITimeoutError,
            openai.APIConnectionError,
            openai.RateLimitError,
            openai.InternalServerError,
        )
        retries = self.settings.max_retries
        for attempt in range(retries + 1):
            timeout = min(self.settings.timeout_s, deadline.check())
            try:
                return call(timeout)
            except retryable as exc:
                if deadline.passed():
                    raise deadline.exceeded() from exc
                wait = _retry_after(exc, attempt)
                if (
                    attempt == retries
                    or wait > self.settings.max_retry_wait_s
                    or wait >= deadline.left()
                ):
                    raise LLMUnavailable(_describe(exc)) from exc
                time.sleep(wait)
            except (openai.APIError, httpx2.HTTPError, ValueError) as exc:  # 4xx, bad bodies
                if deadline.passed():
                    raise deadline.exceeded() from exc
                raise LLMUnavailable(_describe(exc)) from exc
        raise LLMUnavailable("the LLM could not be reached")


def _pieces(stream: Any, deadline: Deadline) -> Iterator[str]:
    import openai

    wrote = False
    try:
        for chunk in stream:
            deadline.check()
            if chunk.choices and chunk.choices[0].delta.content:
                wrote = True
                yield chunk.choices[0].delta.content
    except (openai.APIError, httpx2.HTTPError, ValueError, AttributeError) as exc:
        if deadline.passed():
            raise deadline.exceeded() from exc
        raise LLMUnavailable(f"the LLM stream broke off: {_describe(exc)}") from exc
    if not wrote:  # the client silently skips a body that is not an event stream
        raise LLMUnavailable("the LLM stream carried no answer")


def _retry_after(exc: Exception, attempt: int) -> float:
    response = getattr(exc, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    backoff: float = 0.25 * 2**attempt
    try:
        return max(0.0, float(str(header))) if header is not None else backoff
    except ValueError:
        return backoff


def _describe(exc: Exception) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return "the LLM did not answer in time"
    if isinstance(exc, openai.APIConnectionError):
        return "the LLM endpoint could not be reached"
    if isinstance(exc, openai.APIStatusError):
        return f"the LLM endpoint answered HTTP {exc.status_code}"
    return f"the LLM reply could not be used ({type(exc).__name__})"
