"""`specqa audit report RESULTS.jsonl` and `specqa audit compare BEFORE AFTER`: the figures of a
judged audit per governing section, and the change between two runs.

Plain functions, registered on the `specqa audit` group by its module: each bad line of a results
file is reported on stderr by its number and skipped; a file that cannot be read ends the command
with exit 2 and one line on stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from specqa.cli.options import AsJson, console, guarded, print_json

if TYPE_CHECKING:
    from server.domain.audit.compare import RunComparison, SectionChange
    from server.domain.audit.figures import AuditFigures, SectionFigures
    from server.domain.audit.judged import JudgedRow

__all__ = ["compare", "comparison_table", "report", "report_table"]

SHORT_TEST_NAMES = {
    "chi-square with Yates' continuity correction": "Yates",
    "Fisher's exact test": "Fisher",
}
ResultsFile = Annotated[
    Path, typer.Argument(help="A judged audit's results (JSONL), as `specqa audit --out` writes.")
]
HtmlOut = Annotated[
    Path | None, typer.Option("--html", help="Write one self-contained HTML page here.")
]


def report(
    results: ResultsFile,
    as_json: AsJson = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the figures per section as CSV here.")
    ] = None,
    html: HtmlOut = None,
) -> None:
    """Per governing section and overall: conversations, each verdict, and the violation rate
    (violates / (follows + violates + borderline)) with its 95% Wilson interval."""
    from server.domain.audit.report import audit_figures, write_csv, write_html

    rows = _read(results)
    figures = audit_figures(rows)
    if csv_out is not None:
        guarded(lambda: write_csv(figures, csv_out))
        _wrote(csv_out)
    if html is not None:
        guarded(lambda: write_html(rows, html))
        _wrote(html)
    if as_json:
        print_json(figures.model_dump(mode="json"))
        return
    console.print(report_table(figures))


def compare(
    before: Annotated[Path, typer.Argument(help="The first run's results (JSONL).")],
    after: Annotated[Path, typer.Argument(help="The second run's results (JSONL).")],
    as_json: AsJson = False,
    html: HtmlOut = None,
) -> None:
    """Per governing section: the violation rate before and after, the change, and whether it is
    beyond noise (chi-square with Yates' correction, or Fisher's exact test on small counts)."""
    from server.domain.audit.compare import compare_runs, write_comparison_html

    comparison = compare_runs(_read(before), _read(after))
    for caveat in comparison.caveats:
        typer.echo(f"caveat: {caveat}", err=True)
    if html is not None:
        guarded(lambda: write_comparison_html(comparison, html))
        _wrote(html)
    if as_json:
        print_json(comparison.model_dump(mode="json"))
        return
    console.print(comparison_table(comparison))
    console.print(escape(comparison.test_rule), highlight=False)
    for heading, sections in (
        ("in BEFORE only", comparison.only_before),
        ("in AFTER only", comparison.only_after),
    ):
        if sections:
            console.print(f"{heading}: {escape(', '.join(sections))}", highlight=False)


def _read(path: Path) -> list[JudgedRow]:
    from server.domain.audit.report import BadLine, read_judged

    def warn(bad: BadLine) -> None:
        typer.echo(f"{path} line {bad.number}: {bad.problem}", err=True)

    return guarded(lambda: read_judged(path, warn))


def _wrote(path: Path) -> None:
    typer.echo(f"wrote {path}", err=True)


def _rate(figures: SectionFigures) -> str:
    from server.domain.audit.page import percent

    return percent(figures.violation_rate)


def report_table(figures: AuditFigures) -> Table:
    from server.domain.audit.report_html import interval_text

    overall = figures.overall
    table = Table(
        title=f"audit report · {overall.conversations} conversations · "
        f"judge {escape(', '.join(figures.judges) or '—')}",
        caption="conv: conversations; fol, viol, bord: follows, violates, borderline; "
        "n/c: not covered; unj: unjudged. rate = viol / (fol + viol + bord), with its 95% "
        "Wilson interval (CI); n/c and unj stay out of it.",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("section", no_wrap=True, max_width=34, overflow="fold")
    for column in ("conv", "fol", "viol", "bord", "n/c", "unj"):
        table.add_column(column, justify="right")
    table.add_column("rate", justify="right")
    table.add_column("95% CI", justify="right")
    for index, row in enumerate([*figures.sections, overall]):
        table.add_row(
            escape(row.section_id),
            *map(str, _counts(row)),
            _rate(row),
            interval_text(row),
            end_section=index == len(figures.sections) - 1,
        )
    return table


def _counts(row: SectionFigures) -> tuple[int, ...]:
    return (
        row.conversations,
        row.follows,
        row.violates,
        row.borderline,
        row.not_covered,
        row.unjudged,
    )


def comparison_table(comparison: RunComparison) -> Table:
    table = Table(title="audit compare · violation rate by governing section", box=box.SIMPLE_HEAD)
    table.add_column("section", no_wrap=True, max_width=34, overflow="fold")
    for column in ("before", "after", "change", "p", "test", "beyond\nnoise"):
        table.add_column(column, justify="left" if column == "test" else "right")
    for index, change in enumerate([*comparison.sections, comparison.overall]):
        table.add_row(*_change_cells(change), end_section=index == len(comparison.sections) - 1)
    return table


def _change_cells(change: SectionChange) -> list[str]:
    test = change.test
    return [
        escape(change.section_id),
        f"{_rate(change.before)} {change.before.violates}/{change.before.judged}",
        f"{_rate(change.after)} {change.after.violates}/{change.after.judged}",
        "—" if change.change is None else f"{100 * change.change:+.1f}",
        "—" if test is None else f"{test.p_value:.3g}",
        "—" if test is None else SHORT_TEST_NAMES[test.test],
        "[bold red]yes[/]" if change.significant else "no",
    ]
