"""`specqa sections` and `specqa examples`: the parse, for anyone to check."""

from __future__ import annotations

import typer

from specqa.cli import (
    AsJson,
    Release,
    SpecDir,
    app,
    console,
    examples_app,
    guarded,
    print_json,
    settings_from,
)


def _parsed(spec_dir: SpecDir, release: str | None):  # type: ignore[no-untyped-def]
    from ingest.parser import parse_release
    from ingest.sources import ReleaseSource

    source = guarded(lambda: ReleaseSource(settings_from(spec_dir=spec_dir)))
    version = release or source.versions[-1]
    return guarded(lambda: parse_release(version, source.read(version)))


@app.command()
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
    """List the parsed examples of a release (id, title, section, labels)."""
    if ctx.invoked_subcommand is not None:
        return
    parsed = _parsed(spec_dir, release)
    rows = [
        {"id": e.id, "title": e.title, "section": e.section_id, "labels": e.labels}
        for e in parsed.examples
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(f"[bold]{row['id']}[/] {row['title']} [dim]{row['labels']}[/]")
