"""Logging set-up for a process (the CLI and each server worker call it once; the app factory
never does): one JSON object per line on stderr for the ``specqa`` loggers, each with a UTC
timestamp and, inside a request, that request's id (so a domain line can be matched with the
request line that caused it)."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = ["REQUEST_ID", "JsonFormatter", "configure_logging", "get_logger"]

ROOT = "specqa"
REQUEST_ID: ContextVar[str | None] = ContextVar("specqa_request_id", default=None)
"""The id of the request being served (set by the HTTP edge; answer threads inherit it)."""


def get_logger(module: str) -> logging.Logger:
    """The logger of ``module`` (pass ``__name__``), under the ``specqa`` root so that
    :func:`configure_logging` reaches it."""
    return logging.getLogger(module if module.startswith(ROOT) else f"{ROOT}.{module}")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            payload["request_id"] = request_id
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger(ROOT)
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
