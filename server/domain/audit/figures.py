"""The figures of a judged audit, per governing section (the first of a row's ``sections``) and
overall: how many conversations, each verdict, and the violation rate with its 95% interval.

The violation rate is violates / (follows + violates + borderline): the share of the replies the
judge could place against a rule that break it. ``not_covered`` (no rule applies) and ``unjudged``
(a bad line, or a judge that gave no usable verdict) are counted apart and stay out of the rate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from server.domain.audit.judged import JudgedRow
from server.domain.audit.stats import wilson_interval

__all__ = ["NO_SECTION", "AuditFigures", "SectionFigures", "audit_figures", "governing_section"]

NO_SECTION = "(no section)"


class SectionFigures(BaseModel):
    section_id: str = Field(description=f"The governing section, or {NO_SECTION!r}")
    title: str = ""
    conversations: int
    follows: int
    violates: int
    borderline: int
    not_covered: int
    unjudged: int
    judged: int = Field(description="follows + violates + borderline: the rate's denominator")
    violation_rate: float | None = Field(description="violates / judged; None when judged is 0")
    interval: tuple[float, float] | None = Field(
        description="95% Wilson score interval of the violation rate"
    )


class AuditFigures(BaseModel):
    overall: SectionFigures
    sections: list[SectionFigures] = Field(
        description="Highest violation rate first, sections without a rate last"
    )
    judges: list[str] = Field(description='Judges seen in the rows ("llm:<model>", "none")')
    releases: list[str]


def governing_section(row: JudgedRow) -> str:
    return row.sections[0] if row.sections else NO_SECTION


def audit_figures(rows: Sequence[JudgedRow]) -> AuditFigures:
    by_section: dict[str, list[JudgedRow]] = {}
    for row in rows:
        by_section.setdefault(governing_section(row), []).append(row)
    titles = {sid: title for row in rows for sid, title in row.section_titles.items()}
    sections = [
        section_figures(sid, titles.get(sid, ""), members) for sid, members in by_section.items()
    ]
    return AuditFigures(
        overall=section_figures("all sections", "", rows),
        sections=sorted(sections, key=_worst_first),
        judges=sorted({row.judge for row in rows}),
        releases=sorted({row.release for row in rows if row.release}),
    )


def section_figures(section_id: str, title: str, rows: Iterable[JudgedRow]) -> SectionFigures:
    counts = Counter(row.verdict for row in rows)
    judged = counts["follows"] + counts["violates"] + counts["borderline"]
    return SectionFigures(
        section_id=section_id,
        title=title,
        conversations=sum(counts.values()),
        follows=counts["follows"],
        violates=counts["violates"],
        borderline=counts["borderline"],
        not_covered=counts["not_covered"],
        unjudged=counts["unjudged"],
        judged=judged,
        violation_rate=counts["violates"] / judged if judged else None,
        interval=wilson_interval(counts["violates"], judged),
    )


def _worst_first(figures: SectionFigures) -> tuple[bool, float, int, str]:
    rate = figures.violation_rate
    return (rate is None, -(rate or 0.0), -figures.conversations, figures.section_id)
