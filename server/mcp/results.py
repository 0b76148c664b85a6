"""What the MCP tools return as structured content: the answer's fields, compactly.

Examples come as summaries (labels, rationales, the user's request and a line of each reply);
their full transcripts only when a tool is asked for them (``full_examples``) or from
``get_section``. Diffs carry the changed sentences, not the unified diffs of whole sections.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from server.domain.audit.judged import JudgedRow
from server.domain.precedents.example_view import shorten
from server.domain.precedents.matcher import PrecedentVerdict
from server.domain.releases.diff import (
    AuthorityChange,
    ExampleChanges,
    ReleaseDiff,
    RenamedSection,
    SectionChange,
)
from server.domain.releases.diff_markdown import MAX_SENTENCES_SHOWN
from server.domain.releases.text_diff import SentenceEdit
from server.domain.schemas import (
    Answer,
    BottomLine,
    Citation,
    Confidence,
    ExampleCard,
    ExampleStepCard,
    SearchResponse,
    ShortAnswer,
    WhoCanChange,
    section_url,
)

__all__ = [
    "AnswerResult",
    "ExampleSummary",
    "ExamplesResult",
    "ReleaseComparison",
    "ReplyCheck",
    "SearchResult",
    "SectionRef",
    "answer_result",
    "diff_summary",
    "example_summary",
    "search_result",
]

REPLY_CHARS = 200
USER_CHARS = 200


class SectionRef(BaseModel):
    """A citable section: where it is and how much it weighs."""

    section_id: str
    title: str
    authority: str | None
    release: str
    url: str


class ReplySummary(BaseModel):
    step: int = Field(description="Which judged step of the example (0 is the first)")
    label: str = Field(description="GOOD, BAD or OK, as written in the spec")
    see_sections: list[str] = Field(
        default_factory=list,
        description="The sections whose rule the label is by, when not the example's own "
        "(BAD[#chain_of_command]: an over-refusal)",
    )
    rationale: str = Field(description="Why the spec labels it so (may be empty)")
    reply: str = Field(description=f"The labelled reply, cut to {REPLY_CHARS} characters")


class ExampleSummary(BaseModel):
    id: str
    title: str
    section_id: str
    url: str = Field(description="The section the example belongs to")
    labels: str = Field(description="Each judged step's labels in order, e.g. 'BAD GOOD → GOOD'")
    user: str = Field(description=f"The user's first request, cut to {USER_CHARS} characters")
    responses: list[ReplySummary]
    steps: list[ExampleStepCard] | None = Field(
        default=None, description="The full transcript; only when full_examples is true"
    )


class AnswerResult(BaseModel):
    id: str = Field(description="This answer's id: what feedback on it refers to")
    question: str
    release: str
    mode: str = Field(description="extractive (quotes only) or llm (a model wrote the answer)")
    verdict: str | None = Field(description="yes, no or depends; only an LLM writes one")
    bottom_line: BottomLine | None = Field(description="What the spec says, first")
    short_answer: ShortAnswer | None = Field(
        default=None,
        description="Yes, no or it depends, from the closest curated question when it is close "
        "enough to be right (calibrated); null otherwise, never a guess",
    )
    who_can_change: WhoCanChange | None = Field(
        default=None,
        description='For a follow-up whose condition names who allows it ("and if the developer '
        'allows it?"): whether that party can change the governing rule, by its authority level',
    )
    covered: bool = Field(
        default=True,
        description="False when the Model Spec does not cover the question (it is not about how "
        "OpenAI's models should behave)",
    )
    confidence: Confidence | None = Field(
        description="How clearly one section governs the question: high, medium or low"
    )
    answer: str | None = Field(
        description="What a model wrote (llm mode), or the answer's text when it has no bottom "
        "line (changes between releases, nothing matched); null when the quotes are the answer"
    )
    citations: list[Citation]
    examples: list[ExampleSummary]
    examples_not_shown: str | None = Field(
        default=None,
        description="When the question asked for examples and its first section has more: how "
        "many, and the command and REST query that list them all",
    )
    notice: str | None = None
    release_note: str | None = None


class SectionHit(BaseModel):
    id: str
    title: str
    authority: str | None
    release: str
    url: str
    score: float | None
    snippet: str = Field(description="The section's sentences that best match the query")


class SearchResult(BaseModel):
    query: str
    release: str
    sections: list[SectionHit]
    examples: list[ExampleSummary]


class ExamplesResult(BaseModel):
    release: str
    examples: list[ExampleSummary]
    citations: list[SectionRef] = Field(description="The sections the examples belong to")
    matching: int = Field(
        description="How many examples pass the filters (the list holds the first k; raise k)"
    )


class ReplyCheck(BaseModel):
    release: str
    judge: str = Field(description='"llm:<model>", or "none": sections and precedents only')
    judged: JudgedRow | None = Field(
        default=None, description="The LLM judge's verdict, reason and quoted sentences"
    )
    precedent: PrecedentVerdict | None = Field(
        description="The labelled response the reply most resembles (a label only when close)"
    )
    governing_sections: list[SectionRef]
    examples: list[ExampleSummary]


class ChangeSummary(BaseModel):
    section_id: str
    title: str
    summary: str
    significance: str = Field(description="meaning, or trivial (punctuation, case, a word)")
    sentences: list[SentenceEdit] = Field(
        description=f"The first {MAX_SENTENCES_SHOWN} changed sentences, word-marked"
    )
    more_sentences: int = Field(description="Changed sentences not listed")


class DiffSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_release: str = Field(alias="from")
    to_release: str = Field(alias="to")
    section: str | None = None
    added: list[str] = Field(description="Section ids")
    removed: list[str] = Field(description="Section ids")
    renamed: list[RenamedSection]
    changed: list[str] = Field(description="Body or commentary changed")
    changes: list[ChangeSummary]
    authority_changed: list[AuthorityChange]
    examples: dict[str, ExampleChanges]


class ReleaseComparison(BaseModel):
    diff: DiffSummary
    diff_url: str = Field(description="The diff as a page: old and new sentences side by side")
    citations: list[SectionRef] = Field(
        description="Each section the diff names, in the release where it exists"
    )


def example_summary(card: ExampleCard, release: str, full: bool = False) -> ExampleSummary:
    user = next((t.content for s in card.steps for t in s.turns if t.role == "user"), "")
    return ExampleSummary(
        id=card.id,
        title=card.title,
        section_id=card.section_id,
        url=section_url(release, card.section_id),
        labels=" → ".join(" ".join(r.label for r in s.responses) for s in card.steps if s.responses)
        or "unlabelled",
        user=shorten(user, USER_CHARS),
        responses=[
            ReplySummary(
                step=n,
                label=r.label,
                see_sections=[ref.section_id for ref in r.refs],
                rationale=r.rationale,
                reply=shorten(r.text, REPLY_CHARS),
            )
            for n, step in enumerate(s for s in card.steps if s.responses)
            for r in step.responses
        ],
        steps=card.steps if full else None,
    )


def answer_result(answer: Answer, full_examples: bool) -> AnswerResult:
    own_text = answer.mode == "llm" or answer.bottom_line is None
    return AnswerResult(
        id=answer.id,
        question=answer.question,
        release=answer.release,
        mode=answer.mode,
        verdict=answer.verdict,
        bottom_line=answer.bottom_line,
        short_answer=answer.short_answer,
        who_can_change=answer.who_can_change,
        covered=answer.covered,
        confidence=answer.confidence,
        answer=answer.answer if own_text else None,
        citations=answer.citations,
        examples=[example_summary(c, answer.release, full_examples) for c in answer.examples],
        examples_not_shown=answer.examples_not_shown,
        notice=answer.notice,
        release_note=answer.release_note,
    )


def search_result(found: SearchResponse, snippets: dict[str, str]) -> SearchResult:
    return SearchResult(
        query=found.query,
        release=found.release,
        sections=[
            SectionHit(
                id=s.id,
                title=s.title,
                authority=s.authority,
                release=s.release,
                url=s.url,
                score=s.score,
                snippet=snippets.get(s.id, ""),
            )
            for s in found.sections
        ],
        examples=[example_summary(c, found.release) for c in found.examples],
    )


def diff_summary(diff: ReleaseDiff) -> DiffSummary:
    """The diff without the unified diffs of whole sections (the changed sentences stay)."""
    data = diff.model_dump(exclude={"changes"})
    data["changes"] = [_change(c) for c in diff.changes]
    return DiffSummary.model_validate(data)


def _change(change: SectionChange) -> ChangeSummary:
    return ChangeSummary(
        section_id=change.section_id,
        title=change.title,
        summary=change.summary,
        significance=change.significance,
        sentences=change.sentences[:MAX_SENTENCES_SHOWN],
        more_sentences=max(0, len(change.sentences) - MAX_SENTENCES_SHOWN),
    )
