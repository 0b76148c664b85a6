"""Logging set-up for a process (the CLI and each server worker call it once; the app factory
never does): one JSON object per line on stderr for the ``specqa`` loggers."""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["JsonFormatter", "configure_logging"]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("specqa")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
