"""The typed results every surface returns (REST, chat, MCP, Slack, CLI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "Answer",
    "AuthorityLevel",
    "BottomLine",
    "Citation",
    "Confidence",
    "ExampleCard",
    "ExampleLabel",
    "ExampleResponse",
    "ExamplesResponse",
    "SearchResponse",
    "SectionCard",
    "section_url",
]

Mode = Literal["extractive", "llm"]
AuthorityLevel = Literal["root", "system", "developer", "user", "guideline", "platform"]
ExampleLabel = Literal["GOOD", "BAD", "OK"]
Verdict = Literal["yes", "no", "depends"]
Confidence = Literal["high", "medium", "low"]


def section_url(release: str, section_id: str) -> str:
    return f"https://model-spec.openai.com/{release}.html#{section_id}"


class Citation(BaseModel):
    section_id: str
    title: str
    authority: str | None = Field(
        description="As declared in the release; null for container sections"
    )
    release: str
    quote: str = Field(description="The sentences of the section that best answer the question")
    url: str


class ExampleResponse(BaseModel):
    label: str = Field(description="GOOD, BAD or OK, as written in the spec")
    text: str
    rationale: str = ""


class ExampleCard(BaseModel):
    id: str
    title: str
    section_id: str
    conversation: list[dict[str, str]] = Field(description="Turns as {role, content}")
    responses: list[ExampleResponse]


class BottomLine(BaseModel):
    """The one sentence of the spec that best answers the question, quoted verbatim."""

    text: str
    section_id: str
    authority: str | None
    meaning: str = Field(description="What the authority level means, in plain words")


class Answer(BaseModel):
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
    verdict: Verdict | None = Field(
        description="Only an LLM writes a verdict; null in extractive mode"
    )
    citations: list[Citation]
    examples: list[ExampleCard]
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage")
    notice: str | None = Field(default=None, description="E.g. why an LLM answer fell back")
    fallback: bool = Field(
        default=False, description="True when an LLM answer was asked for but failed"
    )
    release_note: str | None = Field(
        default=None,
        description="Set when the top section changed after this release; links the diff",
    )


class SectionCard(BaseModel):
    id: str
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


class ExamplesResponse(BaseModel):
    release: str
    examples: list[ExampleCard]


class SearchResponse(BaseModel):
    query: str
    release: str
    sections: list[SectionCard]
    examples: list[ExampleCard]
    timings: dict[str, float] = Field(default_factory=dict)
