"""`specqa feedback export` and `specqa feedback stats`: the 👍/👎 given on answers, for the
policy teams who look for the questions answered badly."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from specqa.cli.options import (
    AsJson,
    IndexDir,
    console,
    guarded,
    print_json,
    print_table,
    settings_from,
)
from specqa.core.spreadsheet import safe_cell

if TYPE_CHECKING:
    from server.domain.feedback.store import FeedbackStore

feedback_app = typer.Typer(
    no_args_is_help=True,
    help="Feedback on answers (SPECQA_FEEDBACK_DATABASE_URL, else <index_dir>/feedback.sqlite).",
)

CSV_COLUMNS = [
    "id",
    "created_at",
    "answer_id",
    "rating",
    "comment",
    "source",
    "rater",
    "question",
    "release",
    "mode",
    "section_ids",
    "confidence",
    "answered_at",
]


def _store(index_dir: Path | None) -> FeedbackStore:
    from server.domain.feedback.store import open_feedback_store

    return guarded(lambda: open_feedback_store(settings_from(index_dir=index_dir)))


@feedback_app.command()
def export(
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write a CSV file here instead of JSON lines.")
    ] = None,
    rating: Annotated[
        Literal["up", "down"] | None, typer.Option("--rating", help="Only up or only down.")
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Every rating with its answer's question, release, mode, cited sections and confidence:
    JSON lines on stdout, or a CSV file with --csv."""
    store = _store(index_dir)
    records = guarded(lambda: store.records(rating))
    if csv_out is None:
        for record in records:
            sys.stdout.write(record.model_dump_json() + "\n")
        return
    with csv_out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            row = {**record.model_dump(mode="json"), "section_ids": " ".join(record.section_ids)}
            writer.writerow({column: safe_cell(row[column]) for column in CSV_COLUMNS})
    console.print(f"{len(records)} ratings written to {escape(str(csv_out))}", highlight=False)


@feedback_app.command()
def stats(
    limit: Annotated[
        int, typer.Option("--limit", "-k", min=1, max=1000, help="Questions and sections shown.")
    ] = 10,
    comments: Annotated[
        int, typer.Option("--comments", min=0, max=100, help="👎 comments shown for each.")
    ] = 3,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Totals, then the questions and the leading sections with the most 👎, with comments."""
    store = _store(index_dir)
    result = guarded(lambda: store.stats(limit, comments))
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    console.print(
        f"[bold]feedback[/] · {result.answers} answers recorded, {result.rated} rated · "
        f"👍 {result.up}  👎 {result.down}",
        highlight=False,
    )
    questions = Table(title="questions with the most 👎", title_justify="left")
    for column in ("👎", "👍", "question", "led with", "comments"):
        questions.add_column(column, justify="right" if len(column) == 1 else "left")
    for q in result.questions:
        questions.add_row(
            str(q.down),
            str(q.up),
            escape(q.question),
            escape(", ".join(q.section_ids)),
            escape("\n".join(f"“{c}”" for c in q.comments)),
        )
    sections = Table(title="leading sections with the most 👎", title_justify="left")
    for column in ("👎", "👍", "section", "comments"):
        sections.add_column(column, justify="right" if len(column) == 1 else "left")
    for s in result.sections:
        sections.add_row(
            str(s.down),
            str(s.up),
            escape(s.section_id),
            escape("\n".join(f"“{c}”" for c in s.comments)),
        )
    if result.questions:
        print_table(questions)
        print_table(sections)
    else:
        console.print("no 👎 yet")
