"""The typed results every surface returns (REST, chat, MCP, Slack, CLI)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, computed_field

from specqa.core.question_bank import ShortAnswerValue
from specqa.core.quotes import text_fragment_url
from specqa.core.spec import AuthorityLevel, ExampleLabel, Section

__all__ = [
    "Answer",
    "AuthorityFilter",
    "AuthorityLevel",
    "BottomLine",
    "Citation",
    "Confidence",
    "ExampleCard",
    "ExampleLabel",
    "ExampleResponse",
    "ExampleStepCard",
    "ExampleTurn",
    "ExamplesResponse",
    "LabelFilter",
    "Party",
    "SearchResponse",
    "SectionCard",
    "SectionLink",
    "ShortAnswer",
    "WhoCanChange",
    "WhoCanChangeValue",
    "from_the_spec_structure",
    "label_as_written",
    "level_as_written",
    "section_citation",
    "section_url",
]

Mode = Literal["extractive", "llm"]
Verdict = Literal["yes", "no", "depends"]
Confidence = Literal["high", "medium", "low"]
Party = Literal["developer", "user"]


def label_as_written(value: str | None) -> str | None:
    """A label as the spec writes it, whatever its case ("good" is GOOD); blank is no label."""
    return (value or "").strip().upper() or None


def level_as_written(value: str | None) -> str | None:
    """An authority level as the spec writes it ("ROOT" is root); blank is no level."""
    return (value or "").strip().lower() or None


def _if_text(written: Callable[[str | None], str | None]) -> BeforeValidator:
    return BeforeValidator(lambda value: written(value) if isinstance(value, str) else value)


# filters as people type them: the CLI took "good" and the API refused it
LabelFilter = Annotated[ExampleLabel | None, _if_text(label_as_written)]
AuthorityFilter = Annotated[AuthorityLevel | None, _if_text(level_as_written)]
WhoCanChangeValue = Literal["yes", "no", "it depends", "only where the developer allows"]


def section_url(release: str, section_id: str) -> str:
    return f"https://model-spec.openai.com/{release}.html#{section_id}"


class Citation(BaseModel):
    section_id: str
    title: str
    authority: str | None = Field(
        description="As declared in the release; null for container sections"
    )
    release: str
    quote: str = Field(
        description="Verbatim from the section's text (markdown markup removed): one contiguous "
        "passage, or passages joined by ' […] '; empty for a section with no text of its own"
    )
    url: str

    @computed_field(  # type: ignore[prop-decorator]
        description="The section link with a URL text fragment (#:~:text=) that highlights the "
        "first quoted passage; null when there is no quote"
    )
    @property
    def quote_url(self) -> str | None:
        return text_fragment_url(self.url, self.quote)


def section_citation(release: str, section: Section, quote: str = "") -> Citation:
    """``section`` of ``release`` as a citation (``quote``: verbatim from it, or none)."""
    return Citation(
        section_id=section.id,
        title=section.title,
        authority=section.authority,
        release=release,
        quote=quote,
        url=section_url(release, section.id),
    )


class SectionLink(BaseModel):
    section_id: str
    url: str


class ExampleResponse(BaseModel):
    label: str = Field(description="GOOD, BAD or OK, as written in the spec")
    text: str
    rationale: str = ""
    refs: list[SectionLink] = Field(
        default_factory=list, description="Sections the label names, e.g. BAD[#chain_of_command]"
    )


class ExampleTurn(BaseModel):
    role: str = Field(description="system, developer, user, assistant or tool")
    content: str


class ExampleStepCard(BaseModel):
    turns: list[ExampleTurn] = Field(description="Conversation turns, in order")
    responses: list[ExampleResponse] = Field(
        description="Labelled candidate replies to the last turn above (empty if none)"
    )


class ExampleCard(BaseModel):
    id: str
    title: str
    section_id: str
    steps: list[ExampleStepCard] = Field(
        description="The example in order: turns, then the labelled replies to the last of them; "
        "a multi-step example repeats this for each turn it judges"
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="Every turn of every step as {role, content} (kept for compatibility: the "
        "order of turns and replies is in steps)"
    )
    @property
    def conversation(self) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for s in self.steps for t in s.turns]

    @computed_field(  # type: ignore[prop-decorator]
        description="Every labelled reply of every step (kept for compatibility: which turn each "
        "reply answers is in steps)"
    )
    @property
    def responses(self) -> list[ExampleResponse]:
        return [response for step in self.steps for response in step.responses]


class BottomLine(BaseModel):
    """The one sentence of the spec that best answers the question, quoted verbatim."""

    text: str
    section_id: str
    authority: str | None
    meaning: str = Field(description="What the authority level means, in plain words")
    lead_in: str | None = Field(
        default=None,
        description="When the sentence is an item of a list, the sentence that introduces the "
        "list (it reads as a fragment without it); when it leans on the sentence just before it "
        '("However, …", "For example, …", "such …"), that sentence',
    )


class ShortAnswer(BaseModel):
    """Yes, no or it depends, as the spec answers the closest curated question: shown only when
    that question is close enough for the short answer to be right (calibrated), never a guess."""

    value: ShortAnswerValue
    text: str = Field(description="The short answer in plain words, e.g. 'No.'")
    curated_question: str = Field(description="The question-bank question it comes from")
    section_id: str
    similarity: float = Field(description="Cosine similarity of the question to the curated one")
    turned_round: bool = Field(
        default=False,
        description="The curated question asks whether the assistant does what this one asks "
        "whether it refuses: its own answer is the opposite of this one",
    )


class WhoCanChange(BaseModel):
    """For a question that sets a condition on who allows it ("and if the developer allows
    it?"): whether that party can change the governing section's rule, by its authority level."""

    party: Party = Field(description="Who the condition names: a developer or the user")
    value: WhoCanChangeValue
    text: str = Field(description="The answer in plain words, naming the section and its level")
    section_id: str


class Answer(BaseModel):
    id: str = Field(
        default_factory=lambda: uuid.uuid4().hex,
        description="This answer's id: what feedback on it refers to",
    )
    question: str
    release: str
    mode: Mode
    answer: str = Field(description="Markdown")
    bottom_line: BottomLine | None = Field(
        default=None, description="What the spec says, first; null when nothing matched"
    )
    confidence: Confidence | None = Field(
        default=None,
        description="How clearly one section governs the question (from retrieval signals, "
        "calibrated): high, medium or low; null for answers about changes between releases",
    )
    covered: bool = Field(
        default=True,
        description="False when the Model Spec does not govern the question at all (trivia, "
        "recipes, coding help): the answer then says so plainly, with confidence low",
    )
    short_answer: ShortAnswer | None = Field(
        default=None,
        description="Yes, no or it depends, from the closest curated question; null when no "
        "curated question is close enough",
    )
    who_can_change: WhoCanChange | None = Field(
        default=None,
        description="When the question's condition names who allows it (\"and if the developer "
        'allows it?"): whether that party can change the governing rule',
    )
    verdict: Verdict | None = Field(
        description="Only an LLM writes a verdict; null in extractive mode"
    )
    citations: list[Citation]
    examples: list[ExampleCard]
    examples_not_shown: str | None = Field(
        default=None,
        description="When the question asked for the spec's examples and its first section has "
        "more than are shown: how many, and the command and REST query that list them all",
    )
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage")
    notice: str | None = Field(default=None, description="E.g. why an LLM answer fell back")
    fallback: bool = Field(
        default=False,
        description="True when an LLM answer was asked for and this one is extractive instead: "
        "no LLM is configured, or it failed",
    )
    release_note: str | None = Field(
        default=None,
        description="Set when the top section changed after this release; links the diff",
    )


class SectionCard(BaseModel):
    id: str = Field(description="The section's id; the same as section_id (kept for compatibility)")
    title: str
    level: int
    release: str
    authority: str | None
    authority_meaning: str
    parents: list[str]
    path: list[str]
    attributes: dict[str, str]
    body: str
    commentary: list[str]
    url: str
    examples: list[ExampleCard] = Field(default_factory=list)
    score: float | None = None

    @computed_field(  # type: ignore[prop-decorator]
        description="The section's id, named as citations and examples name it"
    )
    @property
    def section_id(self) -> str:
        return self.id


class ExamplesResponse(BaseModel):
    release: str
    examples: list[ExampleCard]
    matching: int = Field(
        description="How many examples of the release pass the filters: the list holds the first "
        "k of them (ranked by q when given); raise k (up to 200) for more"
    )


class SearchResponse(BaseModel):
    query: str
    release: str
    sections: list[SectionCard]
    examples: list[ExampleCard]
    timings: dict[str, float] = Field(default_factory=dict)


def from_the_spec_structure(
    question: str,
    release: str,
    text: str,
    started: float,
    citations: list[Citation] | None = None,
    examples: list[ExampleCard] | None = None,
    notice: str | None = None,
) -> Answer:
    """An answer read off the spec's structure (its diffs, levels, examples), not retrieved:
    extractive, no verdict, timed from ``started`` (``time.perf_counter()``)."""
    return Answer(
        question=question,
        release=release,
        mode="extractive",
        answer=text,
        verdict=None,
        citations=citations or [],
        examples=examples or [],
        notice=notice,
        timings={"total_ms": round((time.perf_counter() - started) * 1000, 2)},
    )
