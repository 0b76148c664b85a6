"""Answers recorded for feedback off the answer's path: a bounded queue and one worker thread.

An answer is handed over (:meth:`AnswerRecorder.submit`) and goes out at once; the worker writes
it. When the queue is full (the database is slow or hung) the answer is dropped, counted and heard
by ``drop_listeners`` (the metrics counter); it cannot be rated, and nothing else is lost.
Feedback naming an answer still in the queue waits for it (:meth:`AnswerRecorder.settle`), so a
rating sent right after its answer finds it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from server.domain.schemas import Answer

__all__ = ["AnswerRecorder"]

log = logging.getLogger("specqa.feedback")


class AnswerRecorder:
    """Writes answers with ``record`` on its own thread, at most ``capacity`` waiting."""

    def __init__(self, record: Callable[[Answer], None], capacity: int) -> None:
        self._record = record
        self._queue: queue.Queue[Answer | None] = queue.Queue(maxsize=capacity)
        self._pending: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.dropped = 0
        self.drop_listeners: list[Callable[[], None]] = []

    def submit(self, answer: Answer) -> None:
        """Queue ``answer`` to be recorded; never waits (drops and counts when full)."""
        with self._lock:
            self._start()
            done = self._pending.setdefault(answer.id, threading.Event())
            try:
                self._queue.put_nowait(answer)
            except queue.Full:
                done.set()
                del self._pending[answer.id]
                self.dropped += 1
                dropped = True
            else:
                dropped = False
        if dropped:
            log.warning("answer %s not recorded for feedback: the queue is full", answer.id)
            for listener in self.drop_listeners:
                listener()

    def settle(self, answer_id: str, timeout_s: float) -> None:
        """Wait (at most ``timeout_s``) until ``answer_id``, if queued, has been written."""
        with self._lock:
            done = self._pending.get(answer_id)
        if done is not None:
            done.wait(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what is queued (within ``timeout_s``), then stop the worker."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is None:
            return
        try:
            self._queue.put(None, timeout=timeout_s)
        except queue.Full:  # the worker is stuck on a hung database: it is a daemon, leave it
            return
        worker.join(timeout_s)

    def _start(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._run, name="specqa-answer-recorder", daemon=True
            )
            self._worker.start()

    def _run(self) -> None:
        while (answer := self._queue.get()) is not None:
            try:
                self._record(answer)
            except Exception:  # the worker must outlive any one answer
                log.exception("answer %s could not be recorded for feedback", answer.id)
            finally:
                with self._lock:
                    done = self._pending.pop(answer.id, None)
                if done is not None:
                    done.set()
