"""A memo of values computed from one index: a new index (re-ingest, another collection) drops
what was computed from the old one, and at most ``limit`` values are kept (least recently used
first out), so a long-running server's memory does not grow with re-ingests or odd queries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["IndexMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class IndexMemo(Generic[K, V]):
    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._index: str | None = None
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, index: str, key: K, compute: Callable[[], V]) -> V:
        """The value of ``key`` computed from ``index`` (by ``compute``, the first time)."""
        with self._lock:
            if index != self._index:
                self._index, self._values = index, OrderedDict()
            elif key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()  # outside the lock: values are pure, a race computes one twice
        with self._lock:
            if index == self._index:
                self._values[key] = value
                while len(self._values) > self.limit:
                    self._values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)
