"""A wall-clock limit for blocking network calls that have no timeout of their own.

Read timeouts bound each wait, not a whole call: an HTTP server trickling a byte at a time never
trips one, and a paused PostgreSQL (its kernel still acknowledges every packet) is never noticed by
TCP keepalives, while libpq has no read timeout at all. A :class:`Watchdog` is told how to cut each
connection a call uses (:meth:`Watchdog.hold`) and, once its time is up, cuts them: shutting a
socket down wakes a read blocked on it in another thread, so the call fails at once with a
connection error the caller already handles.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

__all__ = ["Watchdog", "shut_down", "shut_down_fd"]


class Watchdog:
    """While entered, runs every held ``cut`` once ``seconds`` have passed (at once if held late)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._cuts: list[Callable[[], None]] = []
        self._fired = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def left(self) -> float:
        return self._ends - time.monotonic()

    def passed(self) -> bool:
        return self._fired or self.left() <= 0

    def hold(self, cut: Callable[[], None]) -> None:
        with self._lock:
            if not self._fired:
                self._cuts.append(cut)
                return
        cut()

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with self._lock:
            self._cuts.clear()

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            cuts, self._cuts = self._cuts, []
        for cut in cuts:
            cut()


def shut_down(sock: socket.socket | None) -> None:
    """Shut ``sock`` down both ways; a socket already closed is left alone."""
    if sock is None:
        return
    with contextlib.suppress(OSError):  # closed meanwhile: nothing waits on it any more
        sock.shutdown(socket.SHUT_RDWR)


def shut_down_fd(fd: int) -> None:
    """Shut down the socket behind file descriptor ``fd`` (a library's, which keeps it open)."""
    try:
        duplicate = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    with duplicate:
        shut_down(duplicate)
