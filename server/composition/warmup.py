"""Every indexed release loaded in the background once the server is up.

Only the newest release is loaded before the server is ready (``/readyz``); each other one loads
on first use, which takes seconds (its chunks and vectors read from Chroma, its BM25 built). The
first question about an older release, or the first diff, waited that long: 12 to 18 s for a
change question on 2 cores. :class:`ReleaseWarmup` loads them on a thread of its own, off every
request's path. Stopping lets the release being loaded finish and loads no other: a daemon thread
still inside Chroma's client when the interpreter exits crashes its shutdown.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from server.domain.retrieval.corpus import Corpus
from specqa.core.errors import SpecQAError
from specqa.core.logs import get_logger

__all__ = ["ReleaseWarmup"]

log = get_logger(__name__)


class ReleaseWarmup:
    """Loads each release of the current index (see the module), from when it is made until
    :meth:`stop`."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._load_all, args=(corpus,), name="release-warmup", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Loads no further release, and waits for the one being loaded."""
        self._stopping.set()
        self._thread.join()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def _load_all(self, corpus: Callable[[], Corpus]) -> None:
        started = time.perf_counter()
        with contextlib.suppress(SpecQAError):  # /readyz and the first request report it
            current = corpus()
            for name in current.names:
                if self._stopping.is_set():
                    return
                current.get(name)
            log.info(
                "all %d releases loaded in %.1f s",
                len(current.names),
                time.perf_counter() - started,
            )
