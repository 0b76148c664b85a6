"""Cells of the CSV files people open in spreadsheets: no formula injection.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, DDE). As OWASP's
"CSV Injection" advice says, such a cell is written with a single quote in front, which the
spreadsheet shows as text; a plain number (``-0.25``) is left as it is. Every CSV file written
from questions, replies, comments or other text a user sent goes through :func:`safe_row`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["safe_cell", "safe_row"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs (None: empty)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    return [safe_cell(value) for value in values]
