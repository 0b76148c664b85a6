"""How uvicorn runs the app: h11 with a header size limit, deadlines for the headers and the
body, and a cap on open connections.

uvicorn's default parser (httptools) accepts headers of any size, and neither parser has a deadline
for a request's headers or body, nor a cap on connections (``limit_concurrency`` answers 503 only
once a request's headers are in, so a connection that never sends them is held anyway).
:class:`GuardedH11Protocol` closes a connection

* whose request line and headers are not complete ``header_timeout_s`` after the connection
  opened or the previous response ended (h11 answers 400 to a head larger than
  ``max_header_bytes``);
* whose body is not complete ``body_timeout_s`` after its headers (a client dripping a body);
* a second after a response went out before the body was read (a 401 or 413 refused it
  unread: the connection cannot carry another request, and waiting for the rest would only hold
  it; the second lets a client still sending read the reply rather than a reset);
* at once, after a 503, when it would be one more than ``max_connections`` open in this process.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.edge.settings import HttpSettings
from specqa.core.logs import get_logger

__all__ = ["BUSY_RESPONSE", "GuardedH11Protocol", "uvicorn_options"]

log = get_logger(__name__)

_BUSY_BODY = json.dumps(
    {"error": {"type": "overloaded", "message": "too many open connections; retry shortly"}}
).encode()
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"retry-after: 1\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
    % (len(_BUSY_BODY), _BUSY_BODY)
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines for each request's headers and body, and a cap on
    the connections open at once."""

    # set per server by :func:`uvicorn_options` (class attributes: see there)
    header_timeout_s: ClassVar[float] = 10.0
    body_timeout_s: ClassVar[float] = 20.0
    max_connections: ClassVar[int] = 1000
    linger_s: ClassVar[float] = 1.0  # after a reply to a request whose body was not read

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        if len(self.connections) > self.max_connections:
            log.warning("refused a connection: %d open", len(self.connections) - 1)
            transport.write(BUSY_RESPONSE)
            transport.close()
            return
        self._arm(self.header_timeout_s, self._headers_too_slow)

    def data_received(self, data: bytes) -> None:
        waiting_for_head = self.conn.their_state is h11.IDLE
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if waiting_for_head:  # the headers just completed: the body's deadline starts
                self._arm(self.body_timeout_s, self._body_too_slow)
        elif state is not h11.IDLE:  # the whole request is in
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.SEND_BODY:  # answered without reading the body
            # a lingering close: what still arrives is dropped for a moment, so a client busy
            # sending the rest reads the reply instead of a reset
            self._arm(self.linger_s, self._close_unread)
        else:
            self._arm(self.header_timeout_s, self._headers_too_slow)  # the next request's own

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE:
            self._close_slow("request headers", self.header_timeout_s)

    def _body_too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.SEND_BODY:
            self._close_slow("request body", self.body_timeout_s)

    def _close_unread(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _close_slow(self, what: str, seconds: float) -> None:
        if self.transport.is_closing():
            return
        log.warning(
            "closed a connection whose %s took over %.0f s",
            what,
            seconds,
            extra={"fields": {"client": self.client[0] if self.client else None}},
        )
        self.transport.close()


def uvicorn_options(settings: HttpSettings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` that apply ``settings``.

    The deadlines and the cap are class attributes because uvicorn's worker processes receive
    the protocol class by reference: each worker's app factory calls this again with its
    settings. Proxy headers are off in uvicorn: the app applies ``SPECQA_TRUSTED_PROXIES`` itself.
    """
    GuardedH11Protocol.header_timeout_s = settings.header_timeout_s
    GuardedH11Protocol.body_timeout_s = settings.body_timeout_s
    GuardedH11Protocol.max_connections = settings.max_connections
    return {
        "http": GuardedH11Protocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "proxy_headers": False,
    }
