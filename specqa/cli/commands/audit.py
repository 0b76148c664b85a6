"""`specqa audit`: replies in bulk against the spec.

``specqa audit FILE.jsonl [...]`` audits a file (an unknown first argument is taken as the file,
so the command reads as it always has); ``specqa audit bench`` measures the judge on the spec's
own labelled replies; ``specqa audit compare BEFORE AFTER`` compares two judged runs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal

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
from typer.core import TyperGroup

from specqa.cli.commands import audit_judged, audit_reports
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

if TYPE_CHECKING:
    from server.domain.audit.bulk import AuditSummary

__all__ = ["audit_app", "commands"]

stderr = Console(stderr=True)
NO_JUDGE = "no judge: governing sections and nearest precedents only"


class AuditGroup(TyperGroup):
    """Subcommands, and any other first argument is the file to audit (``run``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


audit_app = typer.Typer(
    cls=AuditGroup,
    no_args_is_help=True,
    help="Audit replies in bulk: `specqa audit FILE.jsonl [--judge llm]`, `specqa audit bench`, "
    "`specqa audit compare BEFORE AFTER`.",
)
commands = typer.Typer()  # nothing at the top level: `audit` is the group above

JudgeName = Literal["none", "llm"]


@audit_app.command("run")
def audit(
    file: Annotated[
        Path,
        typer.Argument(
            help='JSONL: one {"messages": [...]} conversation (OpenAI chat format) a line; '
            "the last assistant turn is the reply under review."
        ),
    ],
    judge: Annotated[
        str,
        typer.Option(
            "--judge",
            help="llm: an LLM judges each reply (needs OPENAI_BASE_URL, OPENAI_API_KEY, "
            "SPECQA_LLM_MODEL); none: governing sections and nearest precedents only.",
        ),
    ] = "none",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Append one judged row (JSON) a line here; run again with the same file to "
            "resume: lines already there are skipped.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Audit at most N (new) conversations.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the report as one self-contained page.")
    ] = None,
    csv_out: Annotated[
        Path | None,
        typer.Option("--csv", help="Without a judge: write one row per conversation here."),
    ] = None,
    release: Release = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Audit replies in bulk: sections, precedents, and with --judge llm a verdict each."""
    if judge not in ("none", "llm"):
        fail(f"--judge must be 'none' or 'llm', not {judge!r}")
    audit_judged.check_judge(judge, index_dir)
    audit_judged.check_readable(file)
    if judge == "llm" or out is not None or html is not None:
        if csv_out is not None:
            fail("--csv is for the audit without a judge; a judged run writes --out (JSONL)")
        run = audit_judged.JudgedRun(file, judge == "llm", out, html, limit, release, index_dir)
        run.execute(as_json)
        return
    _audit_unjudged(file, csv_out, limit, release, index_dir, as_json)


@audit_app.command("bench")
def bench(
    release: Release = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Judge only the first N replies.")
    ] = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Measure the LLM judge on the spec's own labelled replies, on your endpoint.

    Each labelled reply is judged with its own example left out of the evidence (GOOD should be
    judged follows, BAD violates): accuracy by authority level and a confusion matrix."""
    audit_judged.check_judge("llm", index_dir)
    audit_judged.run_bench(release, limit, index_dir, as_json)


# `specqa audit compare BEFORE AFTER` and `specqa audit report RESULTS`: the report's own commands
audit_app.command("compare")(audit_reports.compare)
audit_app.command("report")(audit_reports.report)


# --- without a judge -----------------------------------------------------------------------------


def _audit_unjudged(
    file: Path,
    csv_out: Path | None,
    limit: int | None,
    release: str | None,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    from server.domain.audit.bulk import AuditProblem, Tally, audit_lines, csv_header, csv_row

    parts = components(index_dir)
    name = guarded(lambda: parts.service.release_name(release))  # a bad release fails up front
    tally = Tally()
    with (
        audit_judged.opened(file) as source,
        _csv_writer(csv_out) as writer,
        _progress() as progress,
    ):
        task = progress.add_task("auditing", total=file.stat().st_size)
        if writer is not None:
            writer.writerow(csv_header())
        blank: list[int] = []
        lines = _limited(_numbered(source, progress, task), limit, blank)
        for item in audit_lines(parts.service, lines, name):
            tally.add(item)
            if writer is not None:
                writer.writerow(csv_row(item))
            if isinstance(item, AuditProblem):
                stderr.print(f"[yellow]line {item.line}:[/] {item.error}", highlight=False)
    if blank:
        stderr.print(f"{len(blank)} blank line{'s' if len(blank) != 1 else ''} skipped")
    summary = tally.result()
    if as_json:
        print_json({"judge": "none", "note": NO_JUDGE, **summary.model_dump()})
    else:
        console.print(NO_JUDGE, style="dim")
        _print_summary(summary)
    if summary.problems and not summary.conversations:  # nothing audited is not a success
        many = summary.problems > 1
        every, verb = (f"all {summary.problems} lines", "are") if many else ("its one line", "is")
        fail(f"no conversation audited: {every} of {file} {verb} bad (above)")


def _numbered(source: IO[bytes], progress: Progress, task: TaskID) -> Iterator[tuple[int, str]]:
    from server.domain.audit.conversations import numbered_lines

    yield from numbered_lines(source, lambda n: progress.advance(task, n))


def _limited(
    lines: Iterator[tuple[int, str]], limit: int | None, blank: list[int]
) -> Iterator[tuple[int, str]]:
    """At most ``limit`` lines that are not blank; the blank ones' numbers go to ``blank``."""
    taken = 0
    for number, text in lines:
        if limit is not None and taken >= limit:
            return
        if not text.strip():
            blank.append(number)
        taken += bool(text.strip())
        yield number, text


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
    for column in ("section", "conversations", "GOOD", "BAD", "OK", "none close"):
        table.add_column(column, justify="left" if column == "section" else "right")
    for row in summary.sections:
        table.add_row(
            row.section_id,
            str(row.conversations),
            str(row.good),
            _bad(row.bad, row.bad_by_another_rule),
            str(row.ok),
            str(row.none),
        )
    console.print(table)
    if any(row.bad_by_another_rule for row in summary.sections):
        console.print(
            "BAD (n by another rule): the spec labels those responses BAD by another section's "
            "rule, e.g. BAD[#chain_of_command], an over-refusal",
            style="dim",
        )


def _bad(bad: int, by_another_rule: int) -> str:
    if not bad:
        return "0"
    return f"[red]{bad}[/]" + (f" ({by_another_rule} by another rule)" if by_another_rule else "")
