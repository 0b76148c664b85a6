"""What feedback on answers is, and what policy teams read from it: the questions and the
sections that drew the most 👎 (:func:`summarise`). Pure: the store (:mod:`server.domain.feedback.store`)
reads the records."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

__all__ = [
    "MAX_COMMENT_CHARS",
    "RATINGS",
    "Feedback",
    "FeedbackStats",
    "QuestionStat",
    "Rating",
    "SectionStat",
    "summarise",
]

Rating = Literal["up", "down"]
RATINGS: tuple[Rating, ...] = ("up", "down")
MAX_COMMENT_CHARS = 2000


class Feedback(BaseModel):
    """One 👍/👎 with the answer it is about."""

    id: int
    answer_id: str
    rating: Rating
    comment: str = Field(description="Empty when none was given")
    source: str = Field(description="Where it was given: api, web, slack, ...")
    rater: str | None = Field(
        default=None, description="Who gave it, when known (their later rating replaces it)"
    )
    created_at: datetime
    question: str
    release: str
    mode: str
    section_ids: list[str] = Field(description="The sections the answer cited, in its order")
    confidence: str | None
    answered_at: datetime


class QuestionStat(BaseModel):
    question: str
    down: int
    up: int
    releases: list[str]
    section_ids: list[str] = Field(description="The sections its answers led with")
    comments: list[str] = Field(description="The comments of its 👎, newest first")


class SectionStat(BaseModel):
    section_id: str = Field(description="The section the rated answers led with")
    down: int
    up: int
    comments: list[str] = Field(description="The comments of its 👎, newest first")


class FeedbackStats(BaseModel):
    answers: int = Field(description="Answers recorded")
    rated: int = Field(description="Answers with at least one rating")
    up: int
    down: int
    questions: list[QuestionStat] = Field(description="Questions with a 👎, most 👎 first")
    sections: list[SectionStat] = Field(description="Leading sections with a 👎, most 👎 first")


def summarise(records: list[Feedback], answers: int, limit: int, comments: int) -> FeedbackStats:
    """Totals, and the questions (case and spacing aside) and the sections the answers led with
    that drew the most 👎, with their newest ``comments`` comments; at most ``limit`` of each."""
    by_question: dict[str, list[Feedback]] = defaultdict(list)
    by_section: dict[str, list[Feedback]] = defaultdict(list)
    for record in records:
        by_question[" ".join(record.question.lower().split())].append(record)
        if record.section_ids:
            by_section[record.section_ids[0]].append(record)
    questions = [
        QuestionStat(
            question=group[-1].question,
            releases=sorted({r.release for r in group}),
            section_ids=list(dict.fromkeys(r.section_ids[0] for r in group if r.section_ids)),
            **_tally(group, comments),
        )
        for group in by_question.values()
    ]
    sections = [
        SectionStat(section_id=section, **_tally(group, comments))
        for section, group in by_section.items()
    ]
    counts = Counter(r.rating for r in records)
    return FeedbackStats(
        answers=answers,
        rated=len({r.answer_id for r in records}),
        up=counts["up"],
        down=counts["down"],
        questions=_worst(questions, limit),
        sections=_worst(sections, limit),
    )


def _tally(group: list[Feedback], comments: int) -> dict[str, Any]:
    down = [r for r in group if r.rating == "down"]
    said = [r.comment for r in reversed(down) if r.comment]
    return {"down": len(down), "up": len(group) - len(down), "comments": said[:comments]}


Stat = TypeVar("Stat", QuestionStat, SectionStat)


def _worst(items: list[Stat], limit: int) -> list[Stat]:
    return sorted((i for i in items if i.down), key=lambda i: (-i.down, i.up))[:limit]
