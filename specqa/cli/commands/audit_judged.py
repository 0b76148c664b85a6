"""The judged run of `specqa audit` (``--judge llm``, ``--out``, ``--html``) and `specqa audit bench`.

Before it starts, a judged run says how many conversations it will judge and about how many
tokens that takes; then a progress bar on stderr while ``SPECQA_LLM_MAX_CONCURRENT`` are judged
at once. Rows go to ``--out`` as they are done, flushed one by one; a run started again with the
same ``--out`` skips the lines already there (see :mod:`server.domain.audit.judged_file`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from specqa.cli.options import console, fail, guarded, print_json, settings_from

if TYPE_CHECKING:
    from server.domain.audit.bench import BenchReport
    from server.domain.audit.conversations import AuditProblem, Conversation
    from server.domain.audit.judged import JudgedRow

__all__ = ["JudgedRun", "check_judge", "check_readable", "opened", "run_bench"]

stderr = Console(stderr=True)
BAD_LINE = "bad line: "
NO_LLM = (
    "--judge llm needs an OpenAI-compatible endpoint: set OPENAI_BASE_URL, OPENAI_API_KEY and "
    "SPECQA_LLM_MODEL"
)


def check_judge(judge: str, index_dir: Path | None) -> None:
    if judge == "llm" and not settings_from(index_dir=index_dir).llm.enabled:
        fail(NO_LLM)


def check_readable(file: Path) -> None:
    """One line and exit 2 for a file that cannot be read at all."""
    if file.is_dir():
        fail(f"cannot read {file}: it is a folder; give the JSONL file")
    if not file.is_file():
        fail(f"no such file: {file}")
    with opened(file):
        pass


@contextmanager
def opened(file: Path) -> Iterator[IO[bytes]]:
    try:
        source = file.open("rb")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    with source:
        yield source


def _numbered(source: IO[bytes]) -> Iterator[tuple[int, str]]:
    from server.domain.audit.conversations import numbered_lines

    return numbered_lines(source)


def _progress(what: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


class JudgedRun:
    """One judged run over a file, resumable through ``out``."""

    def __init__(
        self,
        file: Path,
        with_llm: bool,
        out: Path | None,
        html: Path | None,
        limit: int | None,
        release: str | None,
        index_dir: Path | None,
    ) -> None:
        from server.domain.audit.judged_file import resume
        from server.domain.audit.judging import AuditJudge
        from specqa.cli.options import components

        self.file, self.out, self.html, self.limit = file, out, html, limit
        self.done = guarded(lambda: resume(out)) if out is not None else None
        self.parts = components(index_dir)
        self.release = guarded(lambda: self.parts.service.release_name(release))
        self.auditor = self.parts.judge if with_llm else AuditJudge(self.parts.service, None)
        self.kept: list[JudgedRow] = []  # with --html and no --out

    def execute(self, as_json: bool) -> None:
        from server.domain.audit.judging import estimate_tokens

        # a page that cannot be written is found before the run, not after it
        if self.html is not None and not self.html.parent.is_dir():
            fail(f"cannot write {self.html}: there is no folder {self.html.parent}")
        self._check_resumed()
        todo, blank, size = self._count()
        done = len(self.done.lines) if self.done else 0
        workers = self.parts.settings.llm.max_concurrent if self.auditor.llm else 2
        tokens = estimate_tokens(todo, size, self.parts.service, self.auditor.llm is not None)
        stderr.print(
            f"{todo} conversations to audit"
            + (f" ({done} already in {self.out})" if done else "")
            + (f" · {blank} blank line{'s' if blank != 1 else ''} skipped" if blank else "")
            + f" · judge {self.auditor.name}, {workers} at once"
            + (f" · about {tokens:,} tokens" if tokens else ""),
            highlight=False,
        )
        verdicts: Counter[str] = Counter()
        guarded(lambda: self._judge_all(verdicts, todo, workers))
        if self.html is not None:
            from server.domain.audit.report import read_judged, write_html

            rows = read_judged(self.out) if self.out is not None else self.kept
            html = self.html
            guarded(lambda: write_html(rows, html))
        self._print(verdicts, as_json)

    def _judge_all(self, verdicts: Counter[str], todo: int, workers: int) -> None:
        from server.domain.audit.judged_file import append_rows, write_row

        sink = append_rows(self.out) if self.out is not None else nullcontext(None)
        with opened(self.file) as source, sink as out, _progress("judging") as bar:
            task = bar.add_task("judging", total=todo)
            for row in self.auditor.rows(self._items(source), self.release, workers):
                verdicts[row.verdict] += 1
                if out is not None:
                    write_row(out, row)
                else:
                    self.kept.append(row)
                if row.reason.startswith(BAD_LINE):
                    stderr.print(
                        f"[yellow]line {row.line}:[/] {row.reason[len(BAD_LINE) :]}",
                        highlight=False,
                    )
                bar.advance(task)

    def _check_resumed(self) -> None:
        """Rows of another run in ``--out`` would be skipped over, changing nothing: exit 2."""
        if not self.done or not self.done.lines:
            return
        other = self.done.mismatch(self.auditor.name, self.release)
        if other:
            fail(f"{self.out} holds rows of another run ({other}): give this run another --out")
        from server.domain.audit.conversations import Conversation, parse_conversation
        from server.domain.audit.judging import QUESTION_CHARS, REPLY_CHARS

        with opened(self.file) as source:
            for number, text in _numbered(source):
                held = self.done.held.get(number)
                item = parse_conversation(number, text) if held else None
                if not isinstance(item, Conversation) or held is None:
                    continue
                now = (item.question[:QUESTION_CHARS], item.reply[:REPLY_CHARS])
                if [part.split() for part in now] != [part.split() for part in held]:
                    fail(
                        f"{self.out} holds another conversation for line {number} of "
                        f"{self.file}: give this run another --out"
                    )

    def _lines(self, source: IO[bytes]) -> Iterator[tuple[int, str]]:
        """The numbered lines still to audit: not blank, not done, within the limit."""
        taken = 0
        for number, text in _numbered(source):
            if not text.strip() or (self.done and number in self.done.lines):
                continue
            if self.limit is not None and taken >= self.limit:
                return
            taken += 1
            yield number, text

    def _items(self, source: IO[bytes]) -> Iterator[Conversation | AuditProblem]:
        from server.domain.audit.conversations import parse_conversation

        for number, text in self._lines(source):
            yield parse_conversation(number, text)

    def _count(self) -> tuple[int, int, int]:
        """The lines to audit, the blank lines (skipped) and the file's size."""
        with opened(self.file) as source:
            count = sum(1 for _ in self._lines(source))
        with opened(self.file) as source:
            blank = sum(1 for _, text in _numbered(source) if not text.strip())
        return count, blank, self.file.stat().st_size

    def _print(self, verdicts: Counter[str], as_json: bool) -> None:
        summary = {
            "judge": self.auditor.name,
            "release": self.release,
            "audited": sum(verdicts.values()),
            "verdicts": dict(verdicts),
            "out": str(self.out) if self.out else None,
            "html": str(self.html) if self.html else None,
        }
        if self.auditor.llm is None:
            summary["note"] = "no judge: governing sections and nearest precedents only"
        if as_json:
            print_json(summary)
            return
        if self.auditor.llm is None:
            console.print(summary["note"], style="dim")
        console.print(f"audit · {summary['audited']} conversations · judge {self.auditor.name}")
        table = Table()
        table.add_column("verdict")
        table.add_column("conversations", justify="right")
        for verdict, count in verdicts.most_common():
            table.add_row(verdict, str(count))
        console.print(table)
        for path in (self.out, self.html):
            if path is not None:
                console.print(f"wrote {path}", highlight=False)


# --- bench ---------------------------------------------------------------------------------------


def run_bench(
    release: str | None, limit: int | None, index_dir: Path | None, as_json: bool
) -> None:
    from server.domain.audit.bench import bench_cases
    from server.domain.audit.bench import run_bench as bench
    from specqa.cli.options import components

    parts = components(index_dir)
    name = guarded(lambda: parts.service.release_name(release))
    cases = bench_cases(parts.service.parsed(name), limit)
    workers = parts.settings.llm.max_concurrent
    stderr.print(
        f"{len(cases)} labelled replies of {name} to judge · judge {parts.judge.name}, "
        f"{workers} at once",
        highlight=False,
    )
    with _progress("benchmark") as bar:
        task = bar.add_task("benchmark", total=len(cases))
        report = bench(parts.judge, cases, name, workers, lambda _: bar.advance(task))
    if as_json:
        print_json(report.model_dump())
        return
    _print_bench(report)


def _print_bench(report: BenchReport) -> None:
    console.print(
        f"judge {report.judge} on release {report.release}: {report.right} of {report.cases} "
        f"right ({report.accuracy:.1%}), {report.unjudged} unjudged. GOOD should be 'follows', "
        "BAD 'violates', OK 'follows' or 'borderline'. This figure holds for this endpoint and "
        "model only.",
        highlight=False,
    )
    levels = Table(title="accuracy by authority level")
    for column in ("authority", "replies", "right", "accuracy"):
        levels.add_column(column, justify="left" if column == "authority" else "right")
    for level in report.by_authority:
        levels.add_row(level.authority, str(level.cases), str(level.right), f"{level.accuracy:.1%}")
    console.print(levels)
    matrix = Table(title="confusion matrix (label → verdict)")
    columns = ("follows", "violates", "borderline", "not_covered", "unjudged")
    matrix.add_column("label")
    for column in columns:
        matrix.add_column(column, justify="right")
    for label, counts in report.confusion.items():
        matrix.add_row(label, *(str(counts.get(c, 0)) for c in columns))
    console.print(matrix)
