"""`specqa audit FILE.jsonl`: how a model's replies sit against the spec's labelled precedents."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from specqa.cli.options import (
    AsJson,
    IndexDir,
    Release,
    components,
    console,
    fail,
    guarded,
    print_json,
)

commands = typer.Typer()

if TYPE_CHECKING:
    from server.domain.audit import AuditSummary

stderr = Console(stderr=True)


@commands.command()
def audit(
    file: Annotated[
        Path,
        typer.Argument(
            help='JSONL: one {"messages": [...]} conversation (OpenAI chat format) a line; '
            "the last assistant turn is the reply under review."
        ),
    ],
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write one row per conversation here.")
    ] = None,
    release: Release = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Audit replies in bulk: governing sections, closest precedent, GOOD or BAD, by section."""
    from server.domain.audit import AuditProblem, Tally, audit_lines, csv_header, csv_row

    if not file.is_file():
        fail(f"no such file: {file}")
    parts = components(index_dir)
    name = guarded(lambda: parts.service.release_name(release))  # a bad release fails up front
    tally = Tally()
    with file.open("rb") as source, _csv_writer(csv_out) as writer, _progress() as progress:
        task = progress.add_task("auditing", total=file.stat().st_size)
        if writer is not None:
            writer.writerow(csv_header())
        lines = _numbered(source, progress, task)
        for item in audit_lines(parts.service, lines, name):
            tally.add(item)
            if writer is not None:
                writer.writerow(csv_row(item))
            if isinstance(item, AuditProblem):
                stderr.print(f"[yellow]line {item.line}:[/] {item.error}", highlight=False)
    summary = tally.result()
    if as_json:
        print_json(summary.model_dump())
        return
    _print_summary(summary)


def _numbered(source: IO[bytes], progress: Progress, task: TaskID) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(source, start=1):
        progress.advance(task, len(raw))
        yield number, raw.decode("utf-8", errors="replace")


@contextmanager
def _csv_writer(path: Path | None) -> Iterator[Any]:
    """A csv writer on ``path`` (rows written as they come), or None without a path."""
    if path is None:
        yield None
        return
    try:
        out = path.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
    with out:
        yield csv.writer(out)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


def _print_summary(summary: AuditSummary) -> None:
    table = Table(
        title=f"audit · {summary.conversations} conversations"
        + (f" · {summary.problems} bad lines" if summary.problems else "")
    )
    for column in ("section", "conversations", "GOOD", "BAD", "OK", "none"):
        table.add_column(column, justify="left" if column == "section" else "right")
    for row in summary.sections:
        table.add_row(
            row.section_id,
            str(row.conversations),
            str(row.good),
            f"[red]{row.bad}[/]" if row.bad else "0",
            str(row.ok),
            str(row.none),
        )
    console.print(table)
