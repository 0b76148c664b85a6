"""`specqa sections` and `specqa examples`: the spec as indexed, for anyone to check."""

from __future__ import annotations

from pathlib import Path

import typer

from specqa.cli.options import (
    AsJson,
    IndexDir,
    Release,
    components,
    fail,
    guarded,
    print_json,
    print_line,
)

commands = typer.Typer()
examples_app = typer.Typer(help="List or search the labelled examples (precedents).")


@commands.command()
def sections(release: Release = None, index_dir: IndexDir = None, as_json: AsJson = False) -> None:
    """List the indexed sections of a release (id, title, level, authority, parent)."""
    service = components(index_dir).service
    parsed = guarded(lambda: service.parsed(release))
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
        print_line(f"{indent}[bold]{row['id']}[/] {row['title']} [dim]{row['authority'] or ''}[/]")


def _list_options(
    release: str | None, index_dir: Path | None, as_json: bool
) -> list[tuple[str, object]]:
    return [("--release", release), ("--index-dir", index_dir), ("--json", as_json)]


@examples_app.callback(invoke_without_command=True)
def examples(
    ctx: typer.Context, release: Release = None, index_dir: IndexDir = None, as_json: AsJson = False
) -> None:
    """List the indexed examples of a release (id, title, section, labels of each judged step)."""
    if ctx.invoked_subcommand is not None:
        given = [flag for flag, value in _list_options(release, index_dir, as_json) if value]
        if given:  # click parses them here, where `search` never sees them
            fail(f"{', '.join(given)} goes after `{ctx.invoked_subcommand}`")
        return
    service = components(index_dir).service
    parsed = guarded(lambda: service.parsed(release))
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
        print_line(f"[bold]{row['id']}[/] {row['title']} [dim]{steps}[/]")
