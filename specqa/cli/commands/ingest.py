"""`specqa fetch-spec` and `specqa ingest`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from specqa.cli.options import (
    AsJson,
    IndexDir,
    SpecDir,
    console,
    guarded,
    print_json,
    settings_from,
)

commands = typer.Typer()


@commands.command("fetch-spec")
def fetch_spec(
    releases: Annotated[
        list[str] | None, typer.Argument(help="Releases to fetch; default all.")
    ] = None,
) -> None:
    """Download missing releases into spec/releases/, verifying each sha256."""
    from ingest.sources import ReleaseSource

    settings = settings_from()
    source = guarded(lambda: ReleaseSource(settings))
    fetched = guarded(lambda: source.fetch(releases))
    console.print(
        f"fetched {len(fetched)} release(s): {', '.join(fetched) or 'all present and verified'}"
    )


@commands.command()
def ingest(
    spec_dir: SpecDir = None,
    index_dir: IndexDir = None,
    release: Annotated[
        list[str] | None, typer.Option("--release", "-r", help="Only these releases.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Parse, chunk and embed the spec releases into the index (cheap when nothing changed)."""
    from ingest.pipeline import run_ingest
    from specqa.core.embedding_models import open_embedder
    from specqa.core.store import VectorStore

    settings = settings_from(spec_dir=spec_dir, index_dir=index_dir, releases=release or None)
    store = guarded(lambda: VectorStore(settings))  # first: an unusable index fails fast
    embedder = guarded(lambda: open_embedder(settings, for_ingest=True))
    if as_json:
        report = guarded(lambda: run_ingest(settings, embedder, store))
        print_json(report.as_json())
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("preparing", total=None)
        report = guarded(
            lambda: run_ingest(
                settings,
                embedder,
                store,
                lambda stage, done, total: progress.update(
                    task, description=stage, completed=done, total=total
                ),
            )
        )
    table = Table(
        title="specqa ingest" + (" (unchanged: nothing to do)" if report.unchanged else "")
    )
    for column in ("release", "sections", "examples", "chunks", "embedded", "reused", "seconds"):
        table.add_column(column, justify="left" if column == "release" else "right")
    for name, r in report.releases.items():
        table.add_row(
            name,
            str(r.sections),
            str(r.examples),
            str(r.chunks),
            str(r.embedded),
            str(r.reused),
            f"{r.seconds:.2f}",
        )
    console.print(table)
    if report.tuning is not None:
        tuning = report.tuning
        console.print(
            f"embedding model {tuning.model}: "
            + (
                "reused"
                if tuning.reused
                else f"tuned on {tuning.pairs} pairs in {tuning.seconds:.0f} s"
            )
        )
    console.print(
        f"embedded {report.embedded}, reused {report.reused}, truncated chunks {report.truncated}, "
        f"{report.seconds:.1f} s, collection {report.collection}"
    )
    for warning in report.warnings:  # never an error: a new release must not break ingest
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
