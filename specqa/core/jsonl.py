"""Reading the project's JSON-lines files (the question bank, the eval sets): each line a JSON
value, blank lines skipped, every problem an :class:`~specqa.core.errors.InputError` naming the
file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specqa.core.errors import InputError

__all__ = ["jsonl_rows"]


def jsonl_rows(path: Path, what: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line of ``path`` (``what`` names it)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not JSON ({exc})") from exc
