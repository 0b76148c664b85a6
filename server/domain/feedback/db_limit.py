"""PostgreSQL that hangs must not hang the feedback store: every limit a connection can have.

* connect: ``connect_timeout``; a pooled connection: ``pool_timeout``;
* socket: TCP keepalives and ``tcp_user_timeout`` (a host or network gone);
* statement: ``statement_timeout`` on the server (a lock or a slow query);
* and the one none of those gives, a paused server (its kernel still acknowledges every packet,
  libpq has no read timeout): each operation runs under a
  :class:`~server.domain.watchdog.Watchdog` (:meth:`OperationLimit.limit`) that shuts down the
  sockets of the connections it checked out when time is up. SQLAlchemy's ``pool_pre_ping`` pings
  before any hook can hold the connection, so the ping is done here instead, under the limit.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError

from server.domain.watchdog import Watchdog, shut_down_fd

__all__ = ["OperationLimit", "postgresql_options"]

_operation = threading.local()  # the watchdog of the operation this thread is running, if any


def postgresql_options(url: URL, timeout_s: float) -> dict[str, Any]:
    """Engine options that bound every wait of a PostgreSQL connection by about ``timeout_s``."""
    millis = max(1, math.ceil(timeout_s * 1000))
    return {
        "pool_size": 4,
        "pool_timeout": timeout_s,
        "connect_args": {
            "connect_timeout": max(2, math.ceil(timeout_s)),  # libpq takes whole seconds, >= 2
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": millis,
            "options": f"-c statement_timeout={millis}",
        },
    }


class OperationLimit:
    """Each operation in :meth:`limit` ends within ``seconds``, whatever the server does."""

    def __init__(self, engine: Engine, seconds: float) -> None:
        self.seconds = seconds
        self._dialect = engine.dialect
        if engine.dialect.name == "postgresql":
            event.listen(engine, "checkout", self._checked_out)

    @contextmanager
    def limit(self) -> Iterator[None]:
        with Watchdog(self.seconds) as watchdog:
            _operation.watchdog = watchdog
            try:
                yield
            finally:
                _operation.watchdog = None

    def _checked_out(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        """Hold the connection under the running operation's watchdog, then check it is alive."""
        watchdog: Watchdog | None = getattr(_operation, "watchdog", None)
        if watchdog is None:
            return
        try:
            fd = dbapi_connection.pgconn.socket
            watchdog.hold(lambda: shut_down_fd(fd))
            self._dialect.do_ping(dbapi_connection)
        except psycopg.Error as exc:
            if watchdog.passed():
                raise  # hung, not merely stale: a fresh connection would not do better now
            raise DisconnectionError(f"a pooled connection was dead: {exc}") from exc
