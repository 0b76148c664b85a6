"""`specqa ask` and `specqa eval`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import parse_qs, urlsplit

import typer
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel

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

commands = typer.Typer()

if TYPE_CHECKING:
    from server.domain.schemas import Answer, ExampleCard, ExampleResponse, ExampleTurn

_LABEL_STYLE = {"GOOD": "green", "BAD": "red", "OK": "yellow"}


@commands.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="The question, e.g. 'Should the model reveal its system prompt?'")
    ],
    release: Release = None,
    mode: Annotated[
        str | None, typer.Option(help="extractive or llm; default llm when configured.")
    ] = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Answer a question with cited sections and matching labelled examples."""
    parts = components(index_dir)
    answer = guarded(lambda: parts.service.answer(question, release, mode))
    if as_json:
        print_json(answer.model_dump())
        return
    _print_answer(answer)


_RELATIVE_DIFF_LINK = re.compile(r"\[([^\]\n]+)\]\((/diff\?[^)\s]+)\)")


def terminal_links(markdown: str) -> str:
    """``markdown`` with each link to this server's diff page (relative: no public base URL is
    configured, and a terminal cannot open it) written as the command that prints that diff."""

    def command(link: re.Match[str]) -> str:
        query = parse_qs(urlsplit(link[2]).query)
        old, new = query.get("from", [""])[0], query.get("to", [""])[0]
        section = query.get("section", [""])[0]
        scope = f" --section {section}" if section else ""
        return f"{link[1]}: `specqa diff {old} {new}{scope}`"

    return _RELATIVE_DIFF_LINK.sub(command, markdown)


def _print_answer(answer: Answer) -> None:
    from server.domain.answering.lead_text import model_answer_lead

    title = f"{answer.mode} answer · release {answer.release}" + (
        f" · verdict: {answer.verdict}" if answer.verdict else ""
    )
    if answer.confidence:
        title += f" · confidence: {answer.confidence}"
    lead = "".join(f"{line}\n\n" for line in model_answer_lead(answer))
    text = terminal_links(lead + answer.answer)
    console.print(Panel(Markdown(text), title=title, border_style="cyan"))
    cited = answer.citations if answer.covered else []  # off topic: as the web page, none
    for number, citation in enumerate(cited, start=1):  # the links, for terminals
        console.print(
            f"[bold]{number}. {citation.title}[/] [dim]({citation.section_id}, authority: {citation.authority or 'none'})[/]\n"
            f"   {citation.url}"
            + (
                f"\n   [dim]quote in context:[/] {escape(citation.quote_url)}"
                if citation.quote_url
                else ""
            ),
            soft_wrap=True,  # long links stay on one line, whole
        )
    for example in answer.examples:
        console.print(
            Panel(
                "\n".join(example_lines(example)),
                title=f"example · {escape(example.title)}",
                subtitle=example.id,
            )
        )


def example_lines(card: ExampleCard) -> list[str]:
    """Rich markup for an example: each step's turns, then the labelled replies to the last."""
    from server.domain.precedents.example_view import ExampleStyle, render_example

    return render_example(
        card, ExampleStyle(header=_cli_header, turn=_cli_turn, response=_cli_reply)
    )


def _cli_header(card: ExampleCard) -> str:
    return f"[dim]section {escape(card.section_id)}[/]"


def _cli_turn(turn: ExampleTurn) -> str:
    from server.domain.precedents.example_view import shorten

    return f"[bold]{escape(turn.role)}[/]: {escape(shorten(turn.content, 300))}"


def _cli_reply(response: ExampleResponse) -> str:
    from server.domain.precedents.example_view import shorten

    style = _LABEL_STYLE.get(response.label, "white")
    refs = "".join(
        f" (see [link={ref.url}]{escape(ref.section_id)}[/link])" for ref in response.refs
    )
    why = f" [dim]({escape(response.rationale)})[/]" if response.rationale else ""
    text = escape(shorten(response.text, 300))
    return f"  ↳ [{style}]{escape(response.label)}[/]{refs}{why}: {text}"


@commands.command("eval")
def eval_(
    questions: Annotated[
        Path, typer.Option("--questions", "-q", help="JSONL of {question, sections, split?}.")
    ],
    retriever: Annotated[
        str, typer.Option(help="hybrid (default; also runs the naive baseline) or naive.")
    ] = "hybrid",
    split: Annotated[
        str | None, typer.Option(help="Only this split: dev (tuned on) or test (reported).")
    ] = None,
    release: Release = None,
    index_dir: IndexDir = None,
    as_json: AsJson = False,
) -> None:
    """Retrieval quality: recall@1/3/5/10, MRR, latency and precision@1 per confidence bucket,
    beside the naive baseline (dense top-k over word windows with the base model); and the
    answers' quality: citations, bottom line, short answer, off-topic questions."""
    from server.domain.evaluation.metrics import Judged, Ranked, evaluate, load_questions
    from server.domain.evaluation.naive_baseline import NaiveRetriever
    from specqa.core.embedding_cache import EmbeddingCache
    from specqa.core.embedding_models import open_embedder

    if retriever not in ("hybrid", "naive"):
        fail("--retriever must be 'hybrid' or 'naive'")
    items = guarded(lambda: load_questions(questions, split))
    parts = components(index_dir)
    parsed = guarded(lambda: parts.service.parsed(release))
    base = guarded(lambda: open_embedder(parts.settings))
    cache = EmbeddingCache(parts.settings.index.index_dir / "embed_cache.sqlite", base.name)
    naive = NaiveRetriever(parsed, base, cache)

    def hybrid_rank(text: str) -> Ranked:
        return parts.service.ranked_sections(text, parsed.release, k=10)

    def naive_rank(text: str) -> Ranked:
        return naive.rank_sections(text), None

    def judge(text: str) -> Judged:
        answer = parts.service.answer(text, parsed.release, "extractive")
        return Judged(
            cited=[c.section_id for c in answer.citations],
            bottom_line=answer.bottom_line.text if answer.bottom_line else None,
            short_answer=answer.short_answer.value if answer.short_answer else None,
            covered=answer.covered,
            confidence=answer.confidence,
        )

    results: dict[Literal["hybrid", "naive"], dict[str, float]] = {
        "naive": evaluate(items, naive_rank)
    }
    if retriever == "hybrid":
        results["hybrid"] = evaluate(items, hybrid_rank, judge)
    main = results[retriever]  # type: ignore[index]
    if as_json:
        print_json(main)
        return
    _print_eval(results, parsed.release, f"{questions.name}" + (f" · {split}" if split else ""))


def _print_eval(
    results: dict[Literal["hybrid", "naive"], dict[str, float]], release: str, name: str
) -> None:
    from rich.table import Table

    n = int(next(iter(results.values()))["n"])
    table = Table(title=f"retrieval eval · {name} · release {release} · n={n}")
    table.add_column("metric")
    names = list(results)
    for column in names:
        table.add_column(column, justify="right")
    if len(names) == 2:
        table.add_column("hybrid / naive", justify="right")
    for metric in ("recall@1", "recall@3", "recall@5", "recall@10", "mrr", "p50_ms", "p95_ms"):
        if metric not in results[names[0]]:
            continue
        row = [metric, *(f"{results[column][metric]:.3f}" for column in names)]
        if len(names) == 2:
            base = results["naive"][metric]
            row.append(f"{results['hybrid'][metric] / base:.2f}x" if base else "n/a")
        table.add_row(*row)
    hybrid = results.get("hybrid", {})
    blanks = ["" for column in names if column != "hybrid"]
    for confidence in ("high", "medium", "low"):
        if f"n_{confidence}" in hybrid:
            table.add_row(
                f"p@1 when {confidence}",
                *blanks,
                f"{hybrid[f'p@1_{confidence}']:.3f} (n={int(hybrid[f'n_{confidence}'])})",
            )
    for metric, label in _ANSWER_METRICS:
        if metric in hybrid:
            table.add_row(label, *blanks, f"{hybrid[metric]:.3f} (n={int(hybrid[f'n_{metric}'])})")
    console.print(table)


_ANSWER_METRICS = (
    ("citations_per_answer", "citations per answer"),
    ("cited_that_govern", "cited sections that govern"),
    ("bottom_line_right", "bottom line answers the question"),
    ("short_answer_shown", "short answer shown"),
    ("short_answer_right", "short answer right (precision)"),
    ("off_topic_said_not_covered", "off-topic said not covered"),
    ("off_topic_low", "off-topic with confidence low"),
    ("on_topic_said_not_covered", "on-topic wrongly not covered"),
)
