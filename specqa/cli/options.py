"""The ``specqa`` command. Each subcommand is a thin shell over a library call; every
:class:`~specqa.core.errors.SpecQAError` ends as one line on stderr and exit code 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from server.settings import Settings
from specqa.core.errors import SpecQAError

__all__ = [
    "AsJson",
    "IndexDir",
    "Release",
    "SpecDir",
    "components",
    "components_factory",
    "console",
    "fail",
    "guarded",
    "print_json",
    "print_table",
    "settings_from",
]

console = Console()
T = TypeVar("T")

if TYPE_CHECKING:
    from server.composition.components import Components

ComponentsFactory = Callable[[Settings], "Components"]
_factory: ContextVar[ComponentsFactory | None] = ContextVar("components_factory", default=None)

SpecDir = Annotated[
    Path | None, typer.Option("--spec-dir", help="Folder of model_spec-<release>.md files.")
]
IndexDir = Annotated[
    Path | None, typer.Option("--index-dir", help="Index folder (SPECQA_INDEX_DIR).")
]
Release = Annotated[
    str | None, typer.Option("--release", "-r", help="Release; default: newest indexed.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def fail(message: str) -> NoReturn:
    typer.echo(f"specqa: error: {message}", err=True)
    raise typer.Exit(2)


def settings_from(**overrides: Any) -> Settings:
    """Settings from the environment, with command-line options on top."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"invalid setting {Settings.name_at(first['loc'])}: {first['msg']}")


def guarded(call: Callable[[], T]) -> T:
    try:
        return call()
    except SpecQAError as exc:
        fail(exc.message)


def components(index_dir: Path | None) -> Components:
    """The server's parts over the index (the same answering service every surface uses), made
    by :func:`components_factory`'s factory when one is installed."""
    from server.composition.components import build_components

    settings = settings_from(index_dir=index_dir)
    where = settings.index.index_dir
    if settings.index.chroma_url is None and not where.is_dir():  # made by nothing but ingest
        fail(f"no index in {where}: run `specqa ingest`, or point --index-dir at one")
    build = _factory.get() or build_components
    return guarded(lambda: build(settings))


@contextmanager
def components_factory(factory: ComponentsFactory) -> Iterator[None]:
    """Within the block, commands get their parts from ``factory(settings)``: a caller running
    the CLI in its own process (the tests) hands over parts it already holds."""
    token = _factory.set(factory)
    try:
        yield
    finally:
        _factory.reset(token)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_line(text: str) -> None:
    """One line of a line-oriented listing (console markup allowed). Piped or redirected it is
    not wrapped at 80 columns, so grep and cut read it whole; in a terminal it wraps to fit."""
    console.print(text, soft_wrap=not console.is_terminal)


def print_table(table: Table) -> None:
    """``table`` on stdout. In a terminal it fits the window; piped or redirected (a script, grep,
    a file) it is as wide as its content, so no id or title is cut with "…" or wrapped."""
    if console.is_terminal:
        console.print(table)
        return
    unbounded = console.options.update(max_width=1_000_000)
    width, kept = Measurement.get(console, unbounded, table).maximum, console.width
    console.width = max(width, kept)  # print's own width= cannot exceed the console's
    try:
        console.print(table)
    finally:
        console.width = kept
