"""What a judged audit writes, one JSON object a line: the contract between the judge (which
appends rows as it goes, and resumes by skipping the line numbers already written), the report
(per-section rates) and the comparison of two runs.

A bad input line is a row too (verdict ``unjudged``, the reason in ``reason``), so that a resumed
run knows it is done and every line appears in the output exactly once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["JUDGED_VERDICTS", "JudgedPrecedent", "JudgedRow", "JudgedSentence", "Verdict"]

Verdict = Literal["follows", "violates", "borderline", "not_covered", "unjudged"]
JUDGED_VERDICTS: tuple[Verdict, ...] = ("follows", "violates", "borderline", "not_covered")


class JudgedSentence(BaseModel):
    section_id: str
    quote: str = Field(description="A spec sentence the verdict rests on, verbatim in the section")


class JudgedPrecedent(BaseModel):
    example_id: str
    section_id: str
    label: str = Field(description="GOOD, BAD or OK, as the spec labels the response")
    similarity: float = Field(description="Cosine similarity of the reply and this response")
    close: bool = Field(description="Whether the similarity reaches the resemblance threshold")


class JudgedRow(BaseModel):
    line: int = Field(description="Line number in the input (1-based)")
    verdict: Verdict
    reason: str = Field(description="One sentence: why this verdict, or why the line is unjudged")
    sections: list[str] = Field(
        default_factory=list, description="Governing section ids, the first governs"
    )
    section_titles: dict[str, str] = Field(default_factory=dict)
    sentences: list[JudgedSentence] = Field(default_factory=list)
    precedents: list[JudgedPrecedent] = Field(default_factory=list)
    release: str | None = None
    judge: str = Field(description='"llm:<model>", or "none" (sections and precedents only)')
    question: str = Field(default="", description="The turn the reply answers (shortened)")
    instructions: str = Field(
        default="",
        description="The system and developer messages the reply was given (shortened); with "
        "the question, what the governing sections were retrieved for",
    )
    reply: str = Field(default="", description="The reply under review (shortened)")
    notes: list[str] = Field(
        default_factory=list,
        description="What the judge's reading changed: routing that fell back, quoted sentences "
        "dropped because they were not verbatim in the section they named",
    )
