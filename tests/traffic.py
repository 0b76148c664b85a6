"""Background traffic for the fault tests: requests in a loop, every outcome recorded."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

__all__ = ["Traffic", "wait_until"]


class Traffic:
    """Answers (and, with ``searches``, searches in turn) from a background thread, round-robin
    over ``urls``, until the ``with`` block ends.

    ``statuses`` holds every status code in order (-1 for a transport error); ``failures`` the
    text of every failed request and ``bodies`` the JSON of every non-200 reply.
    """

    def __init__(
        self,
        urls: list[str],
        questions: list[str],
        *,
        searches: bool = False,
        pause_s: float = 0.02,
    ) -> None:
        self.urls = urls
        self.questions = questions
        self.searches = searches
        self.pause_s = pause_s
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def ok_since(self, start: int) -> int:
        return sum(1 for status in self.statuses[start:] if status == 200)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            turn = 0
            while not self._stop.is_set():
                try:
                    response = self._request(client, turn)
                except httpx.HTTPError as exc:
                    self.statuses.append(-1)
                    self.failures.append(repr(exc))
                else:
                    self._record(response)
                turn += 1
                time.sleep(self.pause_s)

    def _request(self, client: httpx.Client, turn: int) -> httpx.Response:
        url = self.urls[turn % len(self.urls)]
        question = self.questions[turn % len(self.questions)]
        if self.searches and turn % 2:
            return client.get(f"{url}/v1/search", params={"q": question})
        return client.post(f"{url}/v1/answer", json={"question": question})

    def _record(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)
        if response.status_code == 200:
            return
        self.failures.append(response.text[:300])
        try:
            self.bodies.append(response.json())
        except ValueError:
            self.bodies.append({"unparsed": response.text})


def wait_until(check: Any, timeout_s: float, what: str) -> Any:
    """``check()``'s first truthy value, polled; an assertion error after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
