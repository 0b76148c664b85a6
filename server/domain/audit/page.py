"""The parts of the audit's HTML pages (the report and the comparison of two runs): one
self-contained file each, to mail or attach to a ticket.

Everything is inline: the stylesheet, the table-sorting script and the charts (SVG). The page's
own Content-Security-Policy (a meta tag) allows that one stylesheet and that one script by their
SHA-256 and nothing else: no fetch, no image, no font, no form target. Every text that came from
the audited rows (replies, questions, reasons, section ids) is escaped; the policy is the second
line of defence should an escape ever be missed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Cell", "IntervalPoint", "interval_chart", "percent", "render_page", "sortable_table"]

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;
color:#1d1d1f;background:#fff}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .6rem}
.meta{color:#555}.note{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}
th:first-child,td:first-child,td.text{text-align:left}
thead th{cursor:pointer;user-select:none;background:#f4f4f6;position:sticky;top:0}
thead th[aria-sort=ascending]::after{content:" \\25B2"}
thead th[aria-sort=descending]::after{content:" \\25BC"}
tfoot td{font-weight:600;border-top:2px solid #999}
svg{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#333}
.axis{stroke:#bbb}.bar{fill:#f3c2c2}.whisker{stroke:#b3261e;stroke-width:2}
.dot{fill:#b3261e}.after .bar{fill:#c5d8f3}.after .whisker{stroke:#1f5fbf}.after .dot{fill:#1f5fbf}
.before .bar{fill:#ddd}.before .whisker{stroke:#777}.before .dot{fill:#777}
.conv{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;margin:.7rem 0}
.conv:target{outline:3px solid #f0b400}
.conv header{display:flex;gap:.8rem;align-items:baseline;flex-wrap:wrap}
.verdict{font-weight:700;text-transform:uppercase;font-size:.8rem;padding:.1rem .4rem;
border-radius:4px;background:#eee}
.v-violates{background:#fbd5d2;color:#8c1d18}.v-follows{background:#d4edda;color:#1e5631}
.v-borderline{background:#fff0c2;color:#6b5200}.v-unjudged{background:#e5e5e5;color:#444}
.turn{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f9;padding:.4rem .6rem;
border-radius:4px;margin:.3rem 0}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid #ccc}
.yes{color:#b3261e;font-weight:700}
"""

# Sorts a table by the clicked header: numbers by data-sort (blank last), text by locale.
SCRIPT = """
for (const table of document.querySelectorAll('table.sortable')) {
  const headers = [...table.tHead.rows[0].cells];
  headers.forEach((th, index) => th.addEventListener('click', () => {
    const ascending = th.getAttribute('aria-sort') !== 'ascending';
    headers.forEach(h => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    const numeric = th.dataset.type === 'number';
    const key = row => row.cells[index].dataset.sort ?? row.cells[index].textContent;
    const body = table.tBodies[0];
    const rows = [...body.rows];
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (numeric) {
        if (x === '' || y === '') return (x === '') - (y === '');
        return (ascending ? 1 : -1) * (Number(x) - Number(y));
      }
      return (ascending ? 1 : -1) * x.localeCompare(y);
    });
    body.append(...rows);
  }));
}
"""


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and for a number the value it sorts by (None: sorts last)."""

    text: str
    sort: float | None = None
    numeric: bool = False
    css: str = ""


@dataclass(frozen=True)
class IntervalPoint:
    """One rate on a chart row: a bar to the rate, whiskers over its interval."""

    rate: float | None
    interval: tuple[float, float] | None
    css: str = ""


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def render_page(title: str, body: str) -> str:
    """A whole page around ``body`` (already escaped HTML), with its inline style and script."""
    policy = (
        f"default-src 'none'; style-src '{_digest(STYLE)}'; script-src '{_digest(SCRIPT)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>{body}<script>{SCRIPT}</script></body></html>\n"
    )


def sortable_table(
    headers: Sequence[tuple[str, bool]],
    rows: Sequence[Sequence[Cell]],
    footer: Sequence[Cell] = (),
    table_id: str = "",
) -> str:
    """A table sorted by a click on a header; ``headers``: (label, numeric)."""
    head = "".join(
        f'<th scope="col" data-type="{"number" if numeric else "text"}">{escape(label)}</th>'
        for label, numeric in headers
    )
    body = "".join(f"<tr>{''.join(map(_cell, row))}</tr>" for row in rows)
    foot = f"<tfoot><tr>{''.join(map(_cell, footer))}</tr></tfoot>" if footer else ""
    ident = f' id="{escape(table_id)}"' if table_id else ""
    return (
        f'<table class="sortable"{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody>{foot}</table>"
    )


def _cell(cell: Cell) -> str:
    sort = "" if not cell.numeric else f' data-sort="{"" if cell.sort is None else cell.sort}"'
    css = f' class="{escape(cell.css)}"' if cell.css else ""
    return f"<td{css}{sort}>{escape(cell.text)}</td>"


LABEL_WIDTH, PLOT_LEFT, PLOT_WIDTH, BAR_HEIGHT, GAP = 300, 310, 440, 14, 10


def interval_chart(rows: Sequence[tuple[str, str, Sequence[IntervalPoint]]], caption: str) -> str:
    """A horizontal chart, one group per row (label, tooltip, points), rates on a 0-100% axis.

    Each row is a ``<g class="rate" data-section=...>`` holding, per point, a bar to the rate,
    a dot at it and whiskers across its interval (none without a rate)."""
    per_row = max((len(points) for _, _, points in rows), default=1) * BAR_HEIGHT + GAP
    top = 24
    height = top + per_row * len(rows) + 8
    width = PLOT_LEFT + PLOT_WIDTH + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(caption)}</title>"
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = _x(tick)
        parts.append(
            f'<line class="axis" x1="{x}" y1="{top - 6}" x2="{x}" y2="{height - 8}"/>'
            f'<text x="{x}" y="{top - 10}" text-anchor="middle">{int(tick * 100)}%</text>'
        )
    for index, (label, tooltip, points) in enumerate(rows):
        y = top + index * per_row + GAP // 2
        parts.append(_chart_row(label, tooltip, points, y))
    parts.append("</svg>")
    return "".join(parts)


def _chart_row(label: str, tooltip: str, points: Sequence[IntervalPoint], y: float) -> str:
    shown = label if len(label) <= 42 else label[:41] + "…"
    items = [
        f'<g class="rate" data-section="{escape(label)}"><title>{escape(tooltip)}</title>'
        f'<text x="{LABEL_WIDTH}" y="{y + BAR_HEIGHT - 3}" text-anchor="end">{escape(shown)}</text>'
    ]
    for offset, point in enumerate(points):
        top = y + offset * BAR_HEIGHT
        items.append(_chart_point(point, top))
    items.append("</g>")
    return "".join(items)


def _chart_point(point: IntervalPoint, top: float) -> str:
    css = f' class="{escape(point.css)}"' if point.css else ""
    if point.rate is None or point.interval is None:
        return f'<g{css}><text x="{PLOT_LEFT + 4}" y="{top + BAR_HEIGHT - 3}">no rate</text></g>'
    middle = top + BAR_HEIGHT / 2
    low, high = (_x(bound) for bound in point.interval)
    return (
        f'<g{css}><rect class="bar" x="{PLOT_LEFT}" y="{top + 2}" '
        f'width="{_x(point.rate) - PLOT_LEFT:.1f}" height="{BAR_HEIGHT - 4}"/>'
        f'<line class="whisker" x1="{low:.1f}" y1="{middle}" x2="{high:.1f}" y2="{middle}"/>'
        f'<line class="whisker" x1="{low:.1f}" y1="{top + 3}" x2="{low:.1f}" '
        f'y2="{top + BAR_HEIGHT - 3}"/>'
        f'<line class="whisker" x1="{high:.1f}" y1="{top + 3}" x2="{high:.1f}" '
        f'y2="{top + BAR_HEIGHT - 3}"/>'
        f'<circle class="dot" cx="{_x(point.rate):.1f}" cy="{middle}" r="3.5"/></g>'
    )


def _x(rate: float) -> float:
    return PLOT_LEFT + rate * PLOT_WIDTH
