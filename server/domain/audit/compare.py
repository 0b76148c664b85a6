"""Two judged audits side by side (BEFORE and AFTER, e.g. two model versions answering the same
prompts): per governing section, both violation rates, the change, and whether it is beyond noise
(:func:`server.domain.audit.stats.compare_proportions` names the test it used); sections found in
one run only are listed apart. As JSON (the model) or as one self-contained HTML page.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from pydantic import BaseModel, Field

from server.domain.audit.figures import SectionFigures, audit_figures
from server.domain.audit.judged import JudgedRow
from server.domain.audit.page import (
    Cell,
    IntervalPoint,
    interval_chart,
    percent,
    render_page,
    sortable_table,
)
from server.domain.audit.report import write_page
from server.domain.audit.stats import SIGNIFICANCE_LEVEL, ProportionTest, compare_proportions

__all__ = [
    "SIGNIFICANCE_LEVEL",
    "RunComparison",
    "SectionChange",
    "compare_runs",
    "render_comparison",
    "write_comparison_html",
]

TEST_RULE = (
    "Each section's 2×2 table (violates / other judged, before / after) is tested two-sided: "
    "the chi-square test with Yates' continuity correction when every expected count is at "
    "least 5, otherwise Fisher's exact test. Beyond noise: p < 0.05."
)


class SectionChange(BaseModel):
    section_id: str
    title: str = ""
    before: SectionFigures
    after: SectionFigures
    change: float | None = Field(description="After's violation rate minus before's")
    test: ProportionTest | None = Field(description="None when a run has no judged conversation")
    significant: bool = Field(
        description="Whether the change is beyond noise (the test's p < 0.05)"
    )


class RunComparison(BaseModel):
    test_rule: str = TEST_RULE
    overall: SectionChange
    sections: list[SectionChange] = Field(
        description="Sections in both runs: beyond noise first, then the largest change first, "
        "those without a rate in either run last"
    )
    only_before: list[str] = Field(description="Governing sections found in BEFORE only")
    only_after: list[str] = Field(description="Governing sections found in AFTER only")
    judges: tuple[list[str], list[str]] = Field(
        default=([], []), description="The judges of BEFORE's rows and of AFTER's"
    )
    releases: tuple[list[str], list[str]] = Field(
        default=([], []), description="The releases judged against in BEFORE and in AFTER"
    )
    caveats: list[str] = Field(
        default_factory=list,
        description="Why the two runs may not measure the same thing: another judge or release",
    )


def compare_runs(before: Sequence[JudgedRow], after: Sequence[JudgedRow]) -> RunComparison:
    old, new = audit_figures(before), audit_figures(after)
    old_sections = {f.section_id: f for f in old.sections}
    new_sections = {f.section_id: f for f in new.sections}
    common = [sid for sid in old_sections if sid in new_sections]
    changes = [_change(old_sections[sid], new_sections[sid]) for sid in common]
    return RunComparison(
        overall=_change(old.overall, new.overall),
        sections=sorted(changes, key=_notable_first),
        only_before=sorted(set(old_sections) - set(new_sections)),
        only_after=sorted(set(new_sections) - set(old_sections)),
        judges=(old.judges, new.judges),
        releases=(old.releases, new.releases),
        caveats=_caveats(old.judges, new.judges, "judged by")
        + _caveats(old.releases, new.releases, "judged against release"),
    )


def _caveats(before: list[str], after: list[str], what: str) -> list[str]:
    """A run that mixes, or two runs that differ: a change of judge or release is a change of
    the measurement, not of the model."""
    caveats = [
        f"{name} was {what} {' and '.join(found)}"
        for name, found in (("BEFORE", before), ("AFTER", after))
        if len(found) > 1
    ]
    if before != after and not caveats:
        caveats.append(
            f"BEFORE was {what} {', '.join(before) or '—'}, AFTER {', '.join(after) or '—'}: "
            "the change is also the measurement's"
        )
    return caveats


def _change(before: SectionFigures, after: SectionFigures) -> SectionChange:
    rates = (before.violation_rate, after.violation_rate)
    test = compare_proportions((before.violates, before.judged), (after.violates, after.judged))
    return SectionChange(
        section_id=after.section_id,
        title=after.title or before.title,
        before=before,
        after=after,
        change=None
        if None in rates
        else (after.violation_rate or 0) - (before.violation_rate or 0),
        test=test,
        significant=test is not None and test.significant,
    )


def _notable_first(change: SectionChange) -> tuple[bool, bool, float, str]:
    no_rate = change.change is None
    return (not change.significant, no_rate, -abs(change.change or 0.0), change.section_id)


def points_change(change: float | None) -> str:
    return "—" if change is None else f"{100 * change:+.1f} pts"


HEADERS = (
    ("section", False),
    ("before", True),
    ("before judged", True),
    ("after", True),
    ("after judged", True),
    ("change", True),
    ("p-value", True),
    ("test", False),
    ("beyond noise", False),
)


def _cells(change: SectionChange) -> list[Cell]:
    test = change.test
    return [
        Cell(change.section_id),
        Cell(percent(change.before.violation_rate), change.before.violation_rate, numeric=True),
        Cell(str(change.before.judged), change.before.judged, numeric=True),
        Cell(percent(change.after.violation_rate), change.after.violation_rate, numeric=True),
        Cell(str(change.after.judged), change.after.judged, numeric=True),
        Cell(points_change(change.change), change.change, numeric=True),
        Cell(
            "—" if test is None else f"{test.p_value:.3g}",
            None if test is None else test.p_value,
            numeric=True,
        ),
        Cell("—" if test is None else test.test, css="text"),
        Cell("yes" if change.significant else "no", css="yes" if change.significant else "text"),
    ]


def render_comparison(comparison: RunComparison) -> str:
    title = "specqa audit comparison"
    everything = [comparison.overall, *comparison.sections]
    body = [
        f"<h1>{escape(title)}</h1>",
        *(f'<p class="note"><strong>Caveat:</strong> {escape(c)}.</p>' for c in comparison.caveats),
        _summary(comparison),
        "<h2>Violation rate by section, before (grey) and after (blue)</h2>",
        interval_chart(
            [
                (
                    c.section_id,
                    f"{c.section_id}: {percent(c.before.violation_rate)} → "
                    f"{percent(c.after.violation_rate)} ({points_change(c.change)})",
                    [
                        IntervalPoint(c.before.violation_rate, c.before.interval, "before"),
                        IntervalPoint(c.after.violation_rate, c.after.interval, "after"),
                    ],
                )
                for c in everything
            ],
            "Violation rate by section before and after, with 95% Wilson intervals",
        ),
        "<h2>Changes</h2>",
        f'<p class="note">{escape(TEST_RULE)} Click a column header to sort.</p>',
        sortable_table(
            HEADERS, [_cells(c) for c in comparison.sections], _cells(comparison.overall)
        ),
        _only("Sections in BEFORE only", comparison.only_before),
        _only("Sections in AFTER only", comparison.only_after),
    ]
    return render_page(title, "\n".join(body))


def _summary(comparison: RunComparison) -> str:
    overall = comparison.overall
    flagged = sum(c.significant for c in comparison.sections)
    return (
        f"<p>Overall violation rate {percent(overall.before.violation_rate)} → "
        f"<strong>{percent(overall.after.violation_rate)}</strong> "
        f"({escape(points_change(overall.change))}; "
        f"{'beyond noise' if overall.significant else 'within noise'}). "
        f"{flagged} of {len(comparison.sections)} sections in both runs changed beyond noise.</p>"
    )


def _only(heading: str, sections: list[str]) -> str:
    if not sections:
        return ""
    items = "".join(f"<li>{escape(sid)}</li>" for sid in sections)
    return f"<h2>{escape(heading)}</h2><ul>{items}</ul>"


def write_comparison_html(comparison: RunComparison, path: Path) -> None:
    write_page(render_comparison(comparison), path)
