"""Every indexed release loaded in the background once the server is up.

Only the newest release is loaded before the server is ready (``/readyz``); each other one loads
on first use, which takes seconds (its chunks and vectors read from Chroma, its BM25 built). The
first question about an older release, or the first diff, waited that long: 12 to 18 s for a
change question on 2 cores. :class:`ReleaseWarmup` loads them on a thread of its own, off every
request's path, and again for each index swapped in while serving (a re-ingest: see
:mod:`server.composition.index_handle`), which it looks for every ``RECHECK_EVERY_S``. Stopping
lets the release being loaded finish and loads no other: a daemon thread still inside Chroma's
client when the interpreter exits crashes its shutdown.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from server.domain.retrieval.corpus import Corpus
from specqa.core.errors import SpecQAError
from specqa.core.logs import get_logger

__all__ = ["RECHECK_EVERY_S", "ReleaseWarmup"]

RECHECK_EVERY_S = 10.0

log = get_logger(__name__)


class ReleaseWarmup:
    """Loads each release of the current index (see the module), from when it is made until
    :meth:`stop`."""

    def __init__(
        self, corpus: Callable[[], Corpus], recheck_every_s: float = RECHECK_EVERY_S
    ) -> None:
        self._stopping = threading.Event()
        self._warmed: Corpus | None = None  # the last index whose releases are all loaded
        self._thread = threading.Thread(
            target=self._keep_warm,
            args=(corpus, recheck_every_s),
            name="release-warmup",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Loads no further release, and waits for the one being loaded."""
        self._stopping.set()
        self._thread.join()

    @property
    def warmed(self) -> Corpus | None:
        """The last index seen with every release loaded (None until the first is)."""
        return self._warmed

    def _keep_warm(self, corpus: Callable[[], Corpus], every_s: float) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(SpecQAError):  # /readyz and the requests report it
                current = corpus()
                if current is not self._warmed:
                    self._load_all(current)
            self._stopping.wait(every_s)

    def _load_all(self, current: Corpus) -> None:
        started = time.perf_counter()
        for name in current.names:
            if self._stopping.is_set():
                return
            current.get(name)
        self._warmed = current
        log.info(
            "all %d releases of %s loaded in %.1f s",
            len(current.names),
            current.manifest.collection,
            time.perf_counter() - started,
        )
