"""The results file of a judged audit: one :class:`JudgedRow` a line, appended and flushed as each
row is judged, so a run that is killed loses at most the row being written.

Resuming reads the line numbers already there and skips them, once it has checked that the rows
are of the same run: the same judge and release, and for each line done the same question and
reply (a results file given with another input, judge or release would skip its lines and change
nothing). A last line without its newline
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
        self.held: dict[int, tuple[str, str]] = {}  # each done line's (shortened) question, reply
        self.runs: set[tuple[str, str | None]] = set()  # (judge, release) of the judged rows

    def mismatch(self, judge: str, release: str) -> str | None:
        """Why rows of another run are in the file: another judge or release (a bad line's row
        counts for any)."""
        others = sorted(
            f"judge {j} on release {r}" for j, r in self.runs if (j, r) != (judge, release)
        )
        return ", ".join(others) or None


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
                    continue
                found.lines.add(row.line)
                found.held[row.line] = (row.question, row.reply)
                if row.sections:  # judged, not a bad line
                    found.runs.add((row.judge, row.release))
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
