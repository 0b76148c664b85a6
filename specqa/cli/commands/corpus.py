"""`specqa sections` and `specqa examples`: the parse, for anyone to check."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from specqa.cli.options import (
    AsJson,
    Release,
    SpecDir,
    console,
    guarded,
    print_json,
    settings_from,
)
from specqa.core.spec import ParsedRelease

commands = typer.Typer()
examples_app = typer.Typer(help="List or search the labelled examples (precedents).")

if TYPE_CHECKING:
    from ingest.sources import ReleaseSource


def parsed_releases(spec_dir: Path | None, only: tuple[str, ...] = ()) -> dict[str, ParsedRelease]:
    """Parse releases straight from the spec files (no index needed); all of them by default."""
    from ingest.sources import ReleaseSource

    source = guarded(lambda: ReleaseSource(settings_from(spec_dir=spec_dir)))
    # unknown release -> clear error before any work; "latest" -> the newest release
    resolved = {v: guarded(partial(source.info, v)).version for v in only}
    if not only:
        resolved = {v: v for v in source.versions}
    return {asked: guarded(partial(_parse, source, v)) for asked, v in resolved.items()}


def _parse(source: ReleaseSource, version: str) -> ParsedRelease:
    from ingest.parser import parse_release

    return parse_release(version, source.read(version))


def _parsed(spec_dir: Path | None, release: str | None) -> ParsedRelease:
    from ingest.sources import ReleaseSource

    newest = guarded(lambda: ReleaseSource(settings_from(spec_dir=spec_dir))).versions[-1]
    version = release or newest
    return parsed_releases(spec_dir, (version,))[version]


@commands.command()
def sections(release: Release = None, spec_dir: SpecDir = None, as_json: AsJson = False) -> None:
    """List the parsed sections of a release (id, title, level, authority, parent)."""
    parsed = _parsed(spec_dir, release)
    rows = [
        {
            "id": s.id,
            "title": s.title,
            "level": s.level,
            "authority": s.authority,
            "parent": s.parent,
            "attributes": s.attributes,
            "examples": len(s.example_ids),
        }
        for s in parsed.sections
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        indent = "  " * (int(str(row["level"])) - 1)
        console.print(
            f"{indent}[bold]{row['id']}[/] {row['title']} [dim]{row['authority'] or ''}[/]"
        )


@examples_app.callback(invoke_without_command=True)
def examples(
    ctx: typer.Context, release: Release = None, spec_dir: SpecDir = None, as_json: AsJson = False
) -> None:
    """List the parsed examples of a release (id, title, section, labels of each judged step)."""
    if ctx.invoked_subcommand is not None:
        return
    parsed = _parsed(spec_dir, release)
    rows = [
        {
            "id": e.id,
            "title": e.title,
            "section": e.section_id,
            "labels": e.labels,
            "step_labels": [
                [r.label for r in step.responses] for step in e.steps if step.responses
            ],
        }
        for e in parsed.examples
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        steps = " → ".join(" ".join(labels) for labels in row["step_labels"])
        console.print(f"[bold]{row['id']}[/] {row['title']} [dim]{steps}[/]")
