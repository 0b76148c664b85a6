"""Placeholder for `specqa audit report` and `specqa audit compare` (issue 22 items 2 and 3),
which are built on their own branch; these stand in with the same names until they land."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from specqa.cli.options import fail

__all__ = ["compare", "report"]


def report(
    results: Annotated[Path, typer.Argument(help="A judged audit's results (JSONL).")],
) -> None:
    """The figures of a judged audit per governing section (not built yet)."""
    fail("`specqa audit report` is not built yet")


def compare(
    before: Annotated[Path, typer.Argument(help="The first run's results (JSONL).")],
    after: Annotated[Path, typer.Argument(help="The second run's results (JSONL).")],
) -> None:
    """The change in violation rate per section between two judged runs (not built yet)."""
    fail("`specqa audit compare` is not built yet")
