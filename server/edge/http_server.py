"""How uvicorn runs the app: h11 with a header size limit and a deadline for the headers.

uvicorn's default parser (httptools) accepts headers of any size, and neither parser has a deadline
for a request's headers: a client sending one header line every few seconds holds a connection as
long as it likes. :class:`HeaderDeadlineH11Protocol` closes a connection whose request line and
headers are not complete ``header_timeout_s`` after the connection opened or the previous response
ended; h11 answers 400 to a head larger than ``max_header_bytes``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from specqa.core.logs import get_logger
from specqa.core.settings import Settings

__all__ = ["HeaderDeadlineH11Protocol", "uvicorn_options"]

log = get_logger(__name__)


class HeaderDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    header_timeout_s = 10.0  # set per server by :func:`uvicorn_options` (a subclass)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._cancel_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()  # the next request on this connection gets its own

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._cancel_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _cancel_header_deadline(self) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.warning(
                "closed a connection whose request headers took over %.0f s",
                self.header_timeout_s,
                extra={"fields": {"client": self.client[0] if self.client else None}},
            )
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` that apply ``settings``.

    The header deadline is a class attribute because uvicorn's worker processes receive the
    protocol class by reference: each worker's app factory calls this again with its settings.
    Proxy headers are off in uvicorn: the app applies ``SPECQA_TRUSTED_PROXIES`` itself.
    """
    HeaderDeadlineH11Protocol.header_timeout_s = settings.header_timeout_s
    return {
        "http": HeaderDeadlineH11Protocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "proxy_headers": False,
    }
