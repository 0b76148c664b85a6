"""Audit in bulk: conversations in the OpenAI chat format (``{"messages": [...]}``, one JSON object
a line), the last assistant turn being the reply under review. For each: the sections that govern
its last user turn (the answering service's own retrieval) with the answer's confidence, the
closest labelled precedent and whether the reply resembles a GOOD or a BAD response; then a
summary by section.

Lines are read and audited one at a time (a file of any size streams through); a bad line is
reported with its number and the run goes on (see :mod:`server.domain.audit.conversations`). Audits are
not answers: they are neither counted as answers nor kept for feedback.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from pydantic import BaseModel, Field

from server.domain.answering.lead_text import UNCLEAR
from server.domain.answering.service import AnsweringService
from server.domain.audit.conversations import AuditProblem, Conversation, parse_conversation
from server.domain.precedents.matcher import PrecedentVerdict
from specqa.core.errors import SpecQAError
from specqa.core.spreadsheet import safe_row

__all__ = [
    "UNCLEAR_KEY",
    "AuditProblem",
    "AuditReport",
    "AuditRow",
    "AuditSummary",
    "Conversation",
    "GoverningSection",
    "SectionTally",
    "Tally",
    "audit_lines",
    "csv_header",
    "csv_row",
    "csv_text",
    "parse_conversation",
]

QUESTION_CHARS = 300


class GoverningSection(BaseModel):
    section_id: str
    title: str
    authority: str | None
    url: str


class AuditRow(BaseModel):
    line: int = Field(description="Line number in the input (1-based)")
    question: str = Field(
        description="The last user turn before the reply (else the last developer, system or "
        "tool turn)"
    )
    reply: str = Field(description="The last assistant turn: the reply under review")
    release: str
    governing: list[GoverningSection]
    confidence: str | None = Field(
        description="The answer's confidence in its governing sections: high, medium or low"
    )
    precedent: PrecedentVerdict | None


UNCLEAR_KEY = "(unclear)"


class SectionTally(BaseModel):
    section_id: str
    title: str
    conversations: int = 0
    good: int = Field(default=0, description="Replies resembling a GOOD response")
    bad: int = Field(default=0, description="Replies resembling a BAD response")
    bad_by_another_rule: int = Field(
        default=0,
        description="Of those, replies whose BAD response the spec labels by another section's "
        "rule (BAD[#chain_of_command]: an over-refusal, not a breach of this section)",
    )
    ok: int = Field(default=0, description="Replies resembling an OK response")
    none: int = Field(default=0, description="Replies resembling no labelled response")


class AuditSummary(BaseModel):
    conversations: int = 0
    problems: int = Field(
        default=0, description="Input lines that could not be read (not replies that break a rule)"
    )
    sections: list[SectionTally] = Field(
        default_factory=list,
        description="By top section; a conversation no section clearly governs (confidence low) "
        f"is counted under {UNCLEAR_KEY!r}, not under the closest one",
    )


class AuditReport(BaseModel):
    release: str | None
    note: str = Field(
        default="no judge: governing sections and nearest precedents only",
        description="What this audit is: without a judge, no verdict is given",
    )
    rows: list[AuditRow]
    problems: list[AuditProblem]
    summary: AuditSummary


# --- auditing --------------------------------------------------------------------------------


def audit_lines(
    service: AnsweringService, lines: Iterable[tuple[int, str]], release: str | None
) -> Iterator[AuditRow | AuditProblem]:
    """Audit numbered lines one by one; blank lines are skipped, bad ones reported."""
    for number, text in lines:
        if not text.strip():
            continue
        parsed = parse_conversation(number, text)
        if isinstance(parsed, AuditProblem):
            yield parsed
            continue
        try:
            yield _audit(service, parsed, release)
        except SpecQAError as exc:
            yield AuditProblem(line=number, error=exc.message)


def _audit(service: AnsweringService, conversation: Conversation, release: str | None) -> AuditRow:
    question = conversation.question[: service.settings.answers.max_question_chars]
    routing = conversation.routing_query[: service.settings.answers.max_question_chars]
    answer = service.assess(routing, release)  # not an answer given: not counted or kept
    _, _, verdict = service.similar_examples(question, conversation.reply, release, k=3)
    governing = [
        GoverningSection(section_id=c.section_id, title=c.title, authority=c.authority, url=c.url)
        for c in answer.citations
    ]
    return AuditRow(
        line=conversation.line,
        question=question,
        reply=conversation.reply,
        release=answer.release,
        governing=list({g.section_id: g for g in governing}.values()),
        confidence=answer.confidence,
        precedent=verdict,
    )


class Tally:
    """The summary by section, kept as the rows go by (memory grows with sections, not rows)."""

    def __init__(self) -> None:
        self.summary = AuditSummary()
        self._sections: dict[str, SectionTally] = {}

    def add(self, item: AuditRow | AuditProblem) -> None:
        if isinstance(item, AuditProblem):
            self.summary.problems += 1
            return
        self.summary.conversations += 1
        top = item.governing[0] if item.governing else None
        if top is None:
            key, title = "(none)", "no governing section"
        elif item.confidence == "low":  # the closest section, not one that governs
            key, title = UNCLEAR_KEY, UNCLEAR
        else:
            key, title = top.section_id, top.title
        tally = self._sections.setdefault(key, SectionTally(section_id=key, title=title))
        tally.conversations += 1
        label = item.precedent.resembles if item.precedent else None
        field = {"GOOD": "good", "BAD": "bad", "OK": "ok"}.get(label or "", "none")
        setattr(tally, field, getattr(tally, field) + 1)
        closest = item.precedent.closest if item.precedent else None
        if label == "BAD" and closest is not None and closest.refs:
            tally.bad_by_another_rule += 1

    def result(self) -> AuditSummary:
        ranked = sorted(self._sections.values(), key=lambda t: (-t.bad, -t.conversations))
        return self.summary.model_copy(update={"sections": ranked})


# --- CSV -------------------------------------------------------------------------------------


def csv_header() -> list[str]:
    return [
        "line",
        "release",
        "question",
        "reply",
        "governing_sections",
        "confidence",
        "resembles",
        "similarity",
        "closest_example",
        "closest_label",
        "verdict",
        "error",
    ]


def csv_row(item: AuditRow | AuditProblem) -> list[str]:
    """One CSV row; cells a spreadsheet would run as a formula are written as text."""
    if isinstance(item, AuditProblem):
        return safe_row([str(item.line), *[""] * 10, item.error])
    closest = item.precedent.closest if item.precedent else None
    return safe_row(
        [
            str(item.line),
            item.release,
            item.question,
            item.reply,
            " ".join(g.section_id for g in item.governing),
            item.confidence or "",
            (item.precedent.resembles or "none") if item.precedent else "",
            f"{closest.similarity:.4f}" if closest else "",
            closest.example_id if closest else "",
            closest.label if closest else "",
            item.precedent.summary if item.precedent else "",
            "",
        ]
    )


def csv_text(items: Iterable[AuditRow | AuditProblem]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header())
    writer.writerows(csv_row(item) for item in items)
    return buffer.getvalue()
