"""The text of each MCP tool's result: briefs that fit a character budget (what an assistant
reads from a tool: the essentials first, the rest cut with a note) of an answer, a search, a
section, examples, a reply check and a diff. An answer's lead is written by
:mod:`server.domain.answering.lead_text`, as on every surface."""

from __future__ import annotations

from collections.abc import Sequence

from server.domain.answering.lead_text import (
    bottom_line_markdown,
    changed_since,
    confidence_markdown,
    lead_markdown,
    markdown_literal,
    quoted_footer,
    verdict_line,
)
from server.domain.audit.judged import JudgedRow
from server.domain.precedents.example_view import (
    MARKDOWN,
    judged_steps,
    render_example,
    shorten,
)
from server.domain.precedents.matcher import PrecedentVerdict
from server.domain.releases.diff import ReleaseDiff
from server.domain.releases.diff_markdown import render_diff_markdown
from server.domain.schemas import (
    Answer,
    BottomLine,
    ExampleCard,
    SearchResponse,
    SectionCard,
    section_url,
)
from specqa.core.quotes import GAP, passages_of
from specqa.core.text import plain_text

__all__ = [
    "answer_brief",
    "cut_markdown",
    "diff_brief",
    "example_line",
    "examples_brief",
    "fit",
    "judgement",
    "reply_brief",
    "search_brief",
    "section_brief",
    "section_markdown",
]

QUOTED = 3  # citations quoted in an answer's brief; the others are listed as links
QUOTE_CHARS = 280  # a citation's quote in a brief (the whole quote is in the structured content)
RATIONALE_CHARS = 160
USER_CHARS = 140
CUT = "*Cut to fit {budget:,} characters: {where}.*"


# --- budgets ------------------------------------------------------------------------------------


Block = str | tuple[str, Sequence[str]]
"""A paragraph, or a heading with items (one a line): the heading shows with the items that fit."""


def fit(blocks: Sequence[Block], budget: int, where: str) -> str:
    """``blocks`` (most important first) as paragraphs, at most ``budget`` characters.

    What does not fit is left out (a later, shorter block or item may still fit) and a last line
    says so and ``where`` the rest is; a first block longer than the whole budget is cut short."""
    whole = "\n\n".join(filter(None, map(_block, blocks)))
    if len(whole) <= budget:
        return whole
    note = CUT.format(budget=budget, where=where)
    room = budget - len(note) - 2
    kept: list[str] = []

    def fits(text: str) -> bool:
        return len("\n\n".join([*kept, text])) <= room

    for block in blocks:
        if isinstance(block, str):
            if block and fits(block):
                kept.append(block)
            elif block and not kept:
                kept.append(cut_markdown(block, room))
            continue
        heading, items = block
        chosen: list[str] = []
        for item in items:
            if fits("\n".join([heading, *chosen, item])):
                chosen.append(item)
        if chosen:
            kept.append("\n".join([heading, *chosen]))
    return "\n\n".join([*kept, note])[:budget]


def _with_lines_of(kept: str, paragraph: str, limit: int) -> str:
    """``kept`` and the first lines of ``paragraph`` (a heading and items) that fit ``limit``."""
    joined = f"{kept}\n\n" if kept else ""
    taken: list[str] = []
    for line in paragraph.split("\n"):
        if len(joined + "\n".join([*taken, line])) > limit:
            break
        taken.append(line)
    return joined + "\n".join(taken) if len(taken) > 1 else kept


def _block(block: Block) -> str:
    if isinstance(block, str):
        return block
    heading, items = block
    return "\n".join([heading, *items]) if items else ""


def cut_markdown(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters: whole paragraphs, else whole words, never
    inside an inline code span (an unclosed backtick would turn code back into markup)."""
    if len(text) <= limit:
        return text
    kept = ""
    for paragraph in text.split("\n\n"):
        longer = f"{kept}\n\n{paragraph}" if kept else paragraph
        if len(longer) + 2 > limit:
            kept = _with_lines_of(kept, paragraph, limit - 2)  # a list: as many items as fit
            break
        kept = longer
    if kept:
        return kept + "\n…"
    cut = shorten(text, limit)
    if cut.count("`") % 2:
        cut = cut[: cut.rindex("`")].rstrip() + "…"
    return cut


# --- answers ------------------------------------------------------------------------------------


def answer_brief(answer: Answer, budget: int, full_examples: bool = False) -> str:
    """What an assistant needs of an answer: verdict, bottom line, confidence, what a model wrote
    (LLM mode), the quotes with their sections and links, the examples with their labels."""
    urls = {c.section_id: c.url for c in answer.citations}
    bottom = answer.bottom_line
    # an extractive answer with no bottom line (not covered, changes, small talk) is its own
    # text, which opens with its lead and confidence and ends with its footer: not twice
    own_text = bottom is None and answer.mode != "llm"
    if own_text:  # its text names what it cites (the changed sections, the closest one)
        return fit([answer.answer], budget, "the structured content's `answer` has all of it")
    head = _head(answer, urls, budget)
    cited = answer.citations if answer.covered else []  # the closest are named in its text
    quoted, others = cited[:QUOTED], cited[QUOTED:]
    blocks: list[Block] = [
        *head,
        (
            f"**Sources** (release {answer.release}):",
            [
                f"- **[{c.title}]({c.url})** · `{c.section_id}` · authority: {c.authority or 'none'}"
                + (f"\n  > {markdown_literal(shorten(quote, QUOTE_CHARS))}" if quote else "")
                for c in quoted
                for quote in [_beside(c.quote, bottom)]
            ],
        ),
        _examples_block(
            answer.examples,
            {c.section_id: c.url for c in quoted},
            answer.release,
            full_examples,
            not_shown=answer.examples_not_shown,
        ),
        ("**Also relevant:**", [f"- [{c.title}]({c.url}) · `{c.section_id}`" for c in others]),
        quoted_footer(answer.release, extractive=answer.mode == "extractive"),
    ]
    return fit(blocks, budget, "the structured content has every quote and example")


def _beside(quote: str, bottom: BottomLine | None) -> str:
    """A citation's quote without the bottom line's sentence, quoted just above (as every other
    surface leaves it out): its other passages, if any."""
    if bottom is None or bottom.text not in quote:
        return quote
    passages = (passage.replace(bottom.text, " ").strip() for passage in passages_of(quote))
    return GAP.join(passage for passage in passages if passage)


def _head(answer: Answer, urls: dict[str, str], budget: int) -> list[str]:
    """The verdict, the lead, the bottom line, the confidence and the notes; a model's text."""
    head: list[str] = [verdict_line(answer.verdict)] if answer.verdict else []
    lead = lead_markdown(answer)
    if lead:
        head.append("\n".join(lead))
    bottom = answer.bottom_line
    if bottom is not None:
        title = next((c.title for c in answer.citations if c.section_id == bottom.section_id), "")
        url = urls.get(bottom.section_id) or section_url(answer.release, bottom.section_id)
        head.append(
            "\n".join(
                bottom_line_markdown(bottom, title or bottom.section_id, url, answer.confidence)
            )
        )
    if answer.release_note:
        head.append(changed_since(answer.release_note))
    if answer.confidence:
        head.append(confidence_markdown(answer.confidence))
    if answer.notice:
        head.append(f"*{answer.notice}*")
    if answer.mode == "llm":
        used = sum(len(b) + 2 for b in head)
        head.append(cut_markdown(answer.answer, max(200, (budget - used) * 3 // 5)))
    return head


def _examples_block(
    cards: Sequence[ExampleCard],
    urls: dict[str, str],
    release: str,
    full: bool,
    user: bool = False,
    not_shown: str | None = None,
) -> Block:
    """The examples, a line each (``full``: every turn); ``not_shown`` (what the answer did not
    show of its first section) under the heading, so that a brief cut to fit still says it."""
    heading = "**Examples** (labelled by the spec):"
    items = [
        "\n".join(render_example(card, MARKDOWN))
        if full
        else example_line(card, urls, release, user)
        for card in cards
    ]
    return (f"{heading}\n*{not_shown}*" if not_shown else heading, items)


def example_line(card: ExampleCard, urls: dict[str, str], release: str, user: bool = False) -> str:
    """One example in a line: title, id, section (a link unless ``urls`` has it listed already),
    each judged step's labels and why; with ``user``, the user's first request too."""
    where = f"`{card.section_id}`"
    if card.section_id not in urls:
        where = f"[{where}]({section_url(release, card.section_id)})"
    steps = [
        " / ".join(
            r.label
            + "".join(f" (see `{ref.section_id}`)" for ref in r.refs)
            + (f" ({shorten(plain_text(r.rationale), RATIONALE_CHARS)})" if r.rationale else "")
            for r in step.responses
        )
        for step in judged_steps(card)
    ]
    asked = next((t.content for s in card.steps for t in s.turns if t.role == "user"), "")
    said = f" User: “{shorten(plain_text(asked), USER_CHARS)}”" if user and asked else ""
    return f"- *{card.title}* (`{card.id}`, section {where}):{said} " + (
        " → then ".join(steps) or "no labelled replies"
    )


# --- search, sections, examples, replies, diffs ---------------------------------------------------


def search_brief(found: SearchResponse, snippets: dict[str, str], budget: int) -> str:
    items = [
        f"- **[{s.title}]({s.url})** · `{s.id}` · authority: {s.authority or 'none'}"
        + (f"\n  > {shorten(snippets[s.id], QUOTE_CHARS)}" if snippets.get(s.id) else "")
        for s in found.sections
    ]
    urls = {s.id: s.url for s in found.sections}
    blocks: list[Block] = [
        (
            f"Search results in Model Spec release {found.release}:",
            items or ["- no matching section"],
        ),
        _examples_block(found.examples, urls, found.release, False),
        "*Use get_section for a section's full text and example transcripts.*",
    ]
    return fit(blocks, budget, "get_section has each section in full")


def section_markdown(card: SectionCard) -> str:
    """One section in full: heading, where it is, its authority, body, commentary, examples."""
    return "\n".join(_section_lines(card)).rstrip()


def section_brief(card: SectionCard, budget: int) -> str:
    examples = ["\n" + "\n".join(render_example(e, MARKDOWN)) for e in card.examples]
    blocks: list[Block] = [
        "\n".join(_section_lines(card, examples=False)).rstrip(),
        ("## Examples", examples),
    ]
    return fit(blocks, budget, f"the resource spec://{card.release}/{card.id} has it all")


def _section_lines(card: SectionCard, examples: bool = True) -> list[str]:
    lines = [
        f"# {card.title}",
        "",
        f"Section `{card.id}` · release {card.release} · {card.url}",
        f"Authority: {card.authority_meaning}",
        f"Path: {' > '.join(card.path)}",
        "",
        card.body,
    ]
    lines += [f"\n{note}" for note in card.commentary]
    if examples and card.examples:
        lines += ["", "## Examples"]
        for example in card.examples:
            lines += ["", *render_example(example, MARKDOWN)]
    return lines


def examples_brief(
    cards: Sequence[ExampleCard], release: str, budget: int, full: bool, matching: int
) -> str:
    shown = (
        f" ({len(cards)} of {matching} matching; raise k for more)" if len(cards) < matching else ""
    )
    head = f"Labelled examples from Model Spec release {release}{shown}:"
    if not cards:
        return f"Labelled examples from Model Spec release {release}:\n\n- no matching example"
    if full:
        blocks: list[Block] = [head, *("\n".join(render_example(c, MARKDOWN)) for c in cards)]
    else:
        blocks = [
            (head, [example_line(card, {}, release, user=True) for card in cards]),
            "*Ask again with full_examples=true, or use get_section, for the transcripts.*",
        ]
    return fit(blocks, budget, "the structured content has every example")


def judgement(row: JudgedRow | None) -> str:
    """The judge's verdict as a surface shows it, or what the check is without a judge."""
    if row is None:
        return "No judge: governing sections and nearest precedents only."
    if row.verdict == "unjudged":
        return f"Judge {row.judge}: unjudged ({row.reason})."
    quotes = "".join(f"\n> “{markdown_literal(s.quote)}” (`{s.section_id}`)" for s in row.sentences)
    return f"Judge {row.judge}: **{row.verdict}**: {row.reason}{quotes}"


def reply_brief(
    verdict: PrecedentVerdict | None,
    sections: Sequence[tuple[str, str, str]],
    cards: Sequence[ExampleCard],
    release: str,
    budget: int,
    lead: str | None = None,
) -> str:
    """``sections`` are (section id, title, url) of the governing sections; ``lead`` (the
    judge's verdict, or what the check is without one) comes first."""
    summary = verdict.summary if verdict else "no reply to compare"
    close = bool(verdict and verdict.resembles)
    said = f"The reply {summary}." if close else f"{summary[:1].upper()}{summary[1:]}."
    blocks: list[Block] = [lead, said] if lead else [said]
    if verdict and verdict.closest:
        closest = verdict.closest
        heading = "Closest labelled response" if close else "Nearest response (not close enough)"
        blocks.append(
            f"{heading} ({closest.label}"
            + "".join(f" (see `{ref}`)" for ref in closest.refs)
            + f", `{closest.example_id}`, similarity "
            f"{closest.similarity:.2f}, threshold {verdict.threshold:.2f}):\n> "
            + shorten(plain_text(closest.response), 2 * QUOTE_CHARS)
        )
    items = [f"- [{title}]({url}) · `{sid}`" for sid, title, url in sections]
    blocks.append((f"Governing sections (release {release}):", items))
    urls = {sid: url for sid, _, url in sections}
    blocks.append(_examples_block(cards, urls, release, False))
    return fit(blocks, budget, "the structured content has every section and example")


def diff_brief(diff: ReleaseDiff, budget: int, link: str) -> str:
    """The diff summary (what matters first), cut at a line when over ``budget``."""
    lines = render_diff_markdown(diff).rstrip().splitlines()
    page = f"Side by side: {link}"
    if len("\n".join([*lines, "", page])) <= budget:
        return "\n".join([*lines, "", page])
    note = CUT.format(budget=budget, where=f"the structured content has every change; {page}")
    room = budget - len(note) - 2
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > room:
            break
        kept.append(line)
    return "\n".join([*kept, "", note])[:budget]
