"""`specqa sections` and `specqa examples`: the spec as indexed, for anyone to check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

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
from specqa.core.names import did_you_mean
from specqa.core.quotes import quotable_sentences
from specqa.core.spec import ParsedRelease

commands = typer.Typer()
examples_app = typer.Typer(help="List or search the labelled examples (precedents).")


SectionId = Annotated[
    str | None,
    typer.Argument(help="A section's id: print its sentences, one a line, instead of the list."),
]


@commands.command()
def sections(
    section_id: SectionId = None,
    release: Release = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """List the indexed sections of a release (id, title, level, authority, parent), or one
    section's sentences (what a question-bank entry's sentence is copied from)."""
    service = components(index_dir).service
    parsed = guarded(lambda: service.parsed(release))
    if section_id is not None:
        _one_section(parsed, section_id, as_json)
        return
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


def _one_section(parsed: ParsedRelease, section_id: str, as_json: bool) -> None:
    section = parsed.section(section_id)
    if section is None:
        hint = did_you_mean(section_id, (s.id for s in parsed.sections))
        fail(f"no section {section_id!r} in release {parsed.release}{hint}")
    sentences = [sentence.text for sentence in quotable_sentences(section.body)]
    if as_json:
        print_json(
            {
                "id": section.id,
                "title": section.title,
                "authority": section.authority,
                "release": parsed.release,
                "sentences": sentences,
            }
        )
        return
    print_line(f"[bold]{section.id}[/] {escape(section.title)} [dim]{section.authority or ''}[/]")
    for sentence in sentences:
        print_line(escape(sentence))


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
