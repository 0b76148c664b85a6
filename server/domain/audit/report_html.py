"""The audit report as one self-contained HTML page: the violation rate by section with its 95%
interval (a chart), the figures (a table sorted by a click on a header), then every conversation
with its verdict, reason and the spec sentences it rests on, at ``#line-N`` (N: the input line).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from server.domain.audit.figures import AuditFigures, SectionFigures, audit_figures
from server.domain.audit.judged import JudgedRow
from server.domain.audit.page import (
    Cell,
    IntervalPoint,
    interval_chart,
    percent,
    render_page,
    sortable_table,
)

__all__ = ["FIGURE_HEADERS", "figure_cells", "interval_text", "render_report"]

FIGURE_HEADERS = (
    ("section", False),
    ("title", False),
    ("conversations", True),
    ("follows", True),
    ("violates", True),
    ("borderline", True),
    ("not covered", True),
    ("unjudged", True),
    ("violation rate", True),
    ("95% interval", True),
)

RATE_DEFINITION = (
    "Violation rate = violates / (follows + violates + borderline), with its 95% Wilson score "
    "interval. Not covered and unjudged conversations are counted apart, outside the rate. "
    "A conversation counts under its governing section (the first the judge names)."
)


def render_report(rows: Sequence[JudgedRow]) -> str:
    figures = audit_figures(rows)
    title = "specqa audit report"
    body = [
        f"<h1>{escape(title)}</h1>",
        _summary(figures),
        "<h2>Violation rate by section</h2>",
        f'<p class="note">{escape(RATE_DEFINITION)}</p>',
        interval_chart(
            [
                (f.section_id, _tooltip(f), [IntervalPoint(f.violation_rate, f.interval)])
                for f in [figures.overall, *figures.sections]
            ],
            "Violation rate by section, with 95% Wilson intervals",
        ),
        "<h2>Figures</h2>",
        '<p class="note">Click a column header to sort.</p>',
        sortable_table(
            FIGURE_HEADERS,
            [figure_cells(f) for f in figures.sections],
            figure_cells(figures.overall),
            table_id="figures",
        ),
        f"<h2>Conversations ({len(rows)})</h2>",
        *(_conversation(row) for row in sorted(rows, key=lambda r: r.line)),
    ]
    return render_page(title, "\n".join(body))


def interval_text(figures: SectionFigures) -> str:
    if figures.interval is None:
        return "—"
    low, high = figures.interval
    return f"{percent(low)}–{percent(high)}"


def figure_cells(figures: SectionFigures) -> list[Cell]:
    def number(value: int) -> Cell:
        return Cell(str(value), value, numeric=True)

    return [
        Cell(figures.section_id),
        Cell(figures.title, css="text"),
        number(figures.conversations),
        number(figures.follows),
        number(figures.violates),
        number(figures.borderline),
        number(figures.not_covered),
        number(figures.unjudged),
        Cell(percent(figures.violation_rate), figures.violation_rate, numeric=True),
        Cell(
            interval_text(figures),
            figures.interval[0] if figures.interval else None,
            numeric=True,
        ),
    ]


def _summary(figures: AuditFigures) -> str:
    overall = figures.overall
    judges = ", ".join(figures.judges) or "—"
    releases = ", ".join(figures.releases) or "—"
    return (
        f'<p class="meta">{overall.conversations} conversations · '
        f"{len(figures.sections)} governing sections · judge {escape(judges)} · "
        f"release {escape(releases)}</p>"
        f"<p>Overall violation rate <strong>{percent(overall.violation_rate)}</strong> "
        f"(95% interval {interval_text(overall)}; {overall.violates} of {overall.judged} "
        f"judged); {overall.not_covered} not covered, {overall.unjudged} unjudged.</p>"
    )


def _tooltip(figures: SectionFigures) -> str:
    return (
        f"{figures.section_id}: {percent(figures.violation_rate)} "
        f"(95% interval {interval_text(figures)}), {figures.violates} of {figures.judged} judged"
    )


def _conversation(row: JudgedRow) -> str:
    anchor = f"line-{row.line}"
    sections = ", ".join(
        f"{sid} ({row.section_titles[sid]})" if sid in row.section_titles else sid
        for sid in row.sections
    )
    parts = [
        f'<article class="conv" id="{anchor}"><header>'
        f'<a href="#{anchor}">line {row.line}</a>'
        f'<span class="verdict v-{escape(row.verdict)}">{escape(row.verdict)}</span>'
        f"<span>{escape(sections or 'no governing section')}</span></header>",
        f"<p>{escape(row.reason)}</p>",
    ]
    if row.instructions:
        parts.append(
            f'<div class="turn"><strong>Instructions:</strong> {escape(row.instructions)}</div>'
        )
    if row.question:
        parts.append(f'<div class="turn"><strong>User:</strong> {escape(row.question)}</div>')
    if row.reply:
        parts.append(f'<div class="turn"><strong>Reply:</strong> {escape(row.reply)}</div>')
    parts.extend(
        f"<blockquote>“{escape(s.quote)}” <cite>{escape(s.section_id)}</cite></blockquote>"
        for s in row.sentences
    )
    if row.precedents:
        parts.append(_precedents(row))
    parts.append("</article>")
    return "".join(parts)


def _precedents(row: JudgedRow) -> str:
    items = "".join(
        f"<li>{escape(p.label)} in {escape(p.example_id)} (similarity {p.similarity:.2f}"
        f"{'' if p.close else ', not close'})</li>"
        for p in row.precedents
    )
    return f'<p class="note">Closest labelled precedents:</p><ul class="note">{items}</ul>'
