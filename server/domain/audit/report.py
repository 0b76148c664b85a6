"""The report of a judged audit: read the judge's results file (one :class:`JudgedRow` a line),
then the figures per governing section and overall (:mod:`server.domain.audit.figures`) as JSON,
as a CSV file for spreadsheets, or as one self-contained HTML page.

A line that is not UTF-8, not JSON, does not fit the row schema or repeats an input line already
read is a bad line: reported by its number and skipped, the rest is read. A file that cannot be
read, or that has not one row (empty, or bad lines only), is an :class:`~specqa.core.errors.InputError`.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from server.domain.audit.figures import AuditFigures, SectionFigures, audit_figures
from server.domain.audit.judged import JudgedRow
from server.domain.audit.report_html import render_report
from specqa.core.errors import InputError
from specqa.core.spreadsheet import safe_row

__all__ = [
    "CSV_COLUMNS",
    "BadLine",
    "audit_figures",
    "read_judged",
    "write_csv",
    "write_html",
    "write_page",
]

logger = logging.getLogger(__name__)

CSV_COLUMNS = (
    "section_id",
    "title",
    "conversations",
    "follows",
    "violates",
    "borderline",
    "not_covered",
    "unjudged",
    "judged",
    "violation_rate",
    "interval_low",
    "interval_high",
)


@dataclass(frozen=True)
class BadLine:
    number: int = 0
    problem: str = ""


def _log_bad_line(bad: BadLine) -> None:
    logger.warning("line %d: %s", bad.number, bad.problem)


def read_judged(
    path: Path, on_bad_line: Callable[[BadLine], None] = _log_bad_line
) -> list[JudgedRow]:
    """The rows of a judged audit's results file, in file order; each bad line is passed to
    ``on_bad_line`` (by default: logged) and skipped."""
    rows: list[JudgedRow] = []
    seen: dict[int, int] = {}  # input line -> results line
    bad = 0
    try:
        with path.open("rb") as source:
            for number, raw in enumerate(source, start=1):
                if not raw.strip():
                    continue
                row, problem = _parse(raw)
                if row is not None and row.line in seen:
                    problem = f"repeats input line {row.line} (already on line {seen[row.line]})"
                elif row is not None:
                    seen[row.line] = number
                    rows.append(row)
                    continue
                bad += 1
                on_bad_line(BadLine(number, problem))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not rows:
        lines = f" ({bad} bad lines)" if bad else ""
        raise InputError(f"{path}: no judged rows in it{lines}; is it audit results?")
    return rows


def _parse(raw: bytes) -> tuple[JudgedRow | None, str]:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except ValueError as exc:
        return None, f"not JSON ({exc})"
    try:
        return JudgedRow.model_validate(data), ""
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "row"
        return None, f"not a judged row ({where}: {first['msg']})"


def csv_cells(figures: SectionFigures) -> list[str]:
    low, high = figures.interval or (None, None)
    values = figures.model_dump()
    values.update(interval_low=low, interval_high=high)
    return safe_row(values[column] for column in CSV_COLUMNS)


def write_csv(figures: AuditFigures, path: Path) -> None:
    """One row per governing section, then the overall row; every cell safe in a spreadsheet."""
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)
            for section in [*figures.sections, figures.overall]:
                writer.writerow(csv_cells(section))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_page(page: str, path: Path) -> None:
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_html(rows: Sequence[JudgedRow], path: Path) -> None:
    """The report as one self-contained HTML page (see :mod:`server.domain.audit.report_html`)."""
    write_page(render_report(rows), path)
