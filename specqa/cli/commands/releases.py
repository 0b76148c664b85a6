"""`specqa diff`, `specqa history` and `specqa examples search`: the policy analyst's tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from specqa.cli.commands.corpus import examples_app
from specqa.cli.options import (
    AsJson,
    IndexDir,
    Release,
    components,
    console,
    guarded,
    print_json,
    print_line,
    print_table,
)

commands = typer.Typer()


@commands.command()
def diff(
    from_release: Annotated[
        str, typer.Argument(metavar="FROM", help="Older release, e.g. 2025-09-12")
    ],
    to_release: Annotated[str, typer.Argument(metavar="TO", help="Newer release, e.g. 2025-10-27")],
    section: Annotated[str | None, typer.Option(help="Only this section id.")] = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """What changed between two releases, as a word diff: sections added, removed and renamed,
    authority levels, reworded rules with their changed sentences, examples, trivial edits last.
    RELEASE may be 'latest'."""
    from specqa.cli.word_diff import print_word_diff

    service = components(index_dir).service
    compared = guarded(lambda: service.compare(from_release, to_release, section))
    if as_json:
        print_json(compared.diff.model_dump(by_alias=True))
        return
    print_word_diff(console, compared.diff, compared.old, compared.new)


@commands.command()
def history(
    section_id: Annotated[str, typer.Argument(help="Section id, e.g. do_not_lie")],
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """In which releases a section exists and what changed in each."""
    from specqa.cli.word_diff import sentence_text

    service = components(index_dir).service
    result = guarded(lambda: service.history(section_id))
    if as_json:
        print_json(result.model_dump(by_alias=True))
        return
    # a renamed section is present under its new id: say so, or it reads as never renamed
    present = [
        release
        if result.ids.get(release, section_id) == section_id
        else f"{release} (as {result.ids[release]})"
        for release in result.present_in
    ]
    print_line(f"[bold]{section_id}[/] present in: {', '.join(present)}")
    for event in result.events:
        print_line(f"  {event.release}  [cyan]{event.kind:<9}[/] {escape(event.summary)}")
        for edit in event.sentences:
            console.print(sentence_text(edit, indent="      "), soft_wrap=True, highlight=False)


@examples_app.command("search")
def examples_search(
    text: Annotated[str | None, typer.Argument(help="Text to rank by (optional).")] = None,
    label: Annotated[str | None, typer.Option(help="GOOD, BAD or OK.")] = None,
    authority: Annotated[
        str | None, typer.Option(help="root, system, developer, user, guideline.")
    ] = None,
    section: Annotated[str | None, typer.Option(help="Section id (children included).")] = None,
    similar_user: Annotated[
        str | None, typer.Option("--user", help="Similar-precedent mode: a user turn.")
    ] = None,
    similar_assistant: Annotated[
        str, typer.Option("--assistant", help="...and a candidate reply.")
    ] = "",
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=200, help="How many.")] = 10,
    release: Release = None,
    index_dir: IndexDir = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write the result set as CSV.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json-out", help="Also write it as JSON.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Precedent search: labelled examples by text, label, authority, section and release."""
    from server.domain.answering.service_lookups import SearchFilters
    from server.domain.precedents.example_view import step_labels
    from server.domain.precedents.export import examples_csv
    from server.domain.schemas import ExamplesResponse

    parts = components(index_dir)
    filters = guarded(lambda: SearchFilters(authority=authority, section=section, label=label))
    governing: list[str] = []
    verdict = None
    if similar_user:
        found, cards, verdict = guarded(
            lambda: parts.service.similar_examples(similar_user, similar_assistant, release, k)
        )
        name, governing = found.release, [s.id for s in found.sections]
        result = ExamplesResponse(release=name, examples=cards, matching=len(cards))
    else:
        result = guarded(lambda: parts.service.find_examples(text, release, filters, k))
        name, cards = result.release, result.examples
    if csv_out:
        csv_out.write_text(
            examples_csv(cards, name, parts.service.authorities(name)), encoding="utf-8"
        )
    if json_out:
        json_out.write_text(result.model_dump_json(indent=2), encoding="utf-8")
    if as_json:
        precedent = verdict.model_dump() if verdict else None
        print_json({**result.model_dump(), "governing_sections": governing, "precedent": precedent})
        return
    table = Table(
        title=f"precedents · release {name}"
        + (f" · governed by {', '.join(governing)}" if governing else "")
    )
    for column in ("example", "section", "labels", "title"):
        table.add_column(column)
    for card in cards:
        table.add_row(card.id, card.section_id, step_labels(card), card.title)
    print_table(table)
    if not similar_user and len(cards) < result.matching:  # a listing cut at -k
        ranked = ", the closest to the text first" if text else ""
        console.print(
            f"{len(cards)} of {result.matching} matching examples shown{ranked} "
            f"(-k {min(result.matching, 200)} for all)",
            style="dim",
        )
    if verdict is not None:
        style = {"GOOD": "green", "BAD": "red", "OK": "yellow"}.get(verdict.resembles or "", "dim")
        lead = "The reply " if verdict.resembles else ""  # below the threshold: no label
        console.print(Text(lead, style="bold").append(verdict.summary, style=style))
