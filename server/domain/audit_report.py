"""Placeholder for the judged audit's report (issue 22 item 2), built on its own branch: the same
name stands in until it lands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from server.domain.judged import JudgedRow
from specqa.core.errors import InputError

__all__ = ["write_html"]


def write_html(rows: Sequence[JudgedRow], path: Path) -> None:
    """One self-contained HTML page of ``rows`` (not built yet)."""
    raise InputError(
        f"the HTML report is not built yet; {len(rows)} rows were not written to {path}"
    )
