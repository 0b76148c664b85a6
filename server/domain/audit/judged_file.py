"""The results file of a judged audit: one :class:`JudgedRow` a line, appended and flushed as each
row is judged, so a run that is killed loses at most the row being written.

Resuming reads the line numbers already there and skips them. A last line without its newline
(torn by a kill mid-write) is cut off, so that conversation is judged again; every input line ends
up in the file exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from server.domain.audit.judged import JudgedRow
from specqa.core.errors import InputError

__all__ = ["Resumed", "append_rows", "resume", "write_row"]


class Resumed:
    """What an existing results file already holds."""

    def __init__(self) -> None:
        self.lines: set[int] = set()
        self.torn = False  # a torn last line was cut off
        self.unreadable = 0  # complete lines that are not rows (left in place, not counted)


def resume(path: Path) -> Resumed:
    """The line numbers done in ``path`` (none if it does not exist); cuts off a torn last line."""
    found = Resumed()
    if not path.exists():
        return found
    try:
        with path.open("r+b") as out:
            offset = 0
            for raw in out:
                if not raw.endswith(b"\n"):
                    out.truncate(offset)
                    found.torn = True
                    break
                offset += len(raw)
                row = _row(raw)
                if row is None:
                    found.unreadable += 1
                else:
                    found.lines.add(row.line)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    return found


@contextmanager
def append_rows(path: Path) -> Iterator[IO[str]]:
    """``path`` opened for appending rows (see :func:`write_row`)."""
    try:
        out = path.open("a", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc
    with out:
        yield out


def write_row(out: IO[str], row: JudgedRow) -> None:
    out.write(row.model_dump_json() + "\n")
    out.flush()  # in the kernel's hands: a kill -9 of this process loses nothing written


def _row(raw: bytes) -> JudgedRow | None:
    try:
        return JudgedRow.model_validate_json(raw)
    except (ValidationError, ValueError, RecursionError):
        return None
