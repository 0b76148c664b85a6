"""The parsed shape of one Model Spec release."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["Example", "ParsedRelease", "Response", "Section", "Turn"]


class Turn(BaseModel):
    """One message of an example conversation."""

    role: str = Field(description="system, developer, user, assistant or tool")
    content: str
    attributes: dict[str, str] = Field(default_factory=dict, description="e.g. recipient, name")


class Response(BaseModel):
    """A candidate assistant reply inside ``<comparison>``, with its label as written."""

    label: str = Field(description="GOOD, BAD or OK, as written in the spec")
    text: str
    rationale: str = Field(default="", description="The text after the label in the comment")
    refs: list[str] = Field(default_factory=list, description="Section ids in BAD[#id] labels")


class Example(BaseModel):
    """A ``**Example**:`` block: a conversation and its labelled candidate replies."""

    id: str = Field(description="<section_id>/ex<n>, n counting from 1 within the section")
    title: str
    section_id: str
    conversation: list[Turn]
    responses: list[Response]

    @property
    def labels(self) -> list[str]:
        return [response.label for response in self.responses]


class Section(BaseModel):
    """A heading with an anchor id, and the text directly under it."""

    id: str
    title: str
    level: int
    parents: list[str] = Field(description="Ancestor section ids, outermost first")
    authority: str | None = Field(
        description="As declared: root/system/developer/user/guideline/platform"
    )
    attributes: dict[str, str] = Field(default_factory=dict, description="Other heading attributes")
    body: str = Field(description="Prose under the heading, cross references resolved")
    commentary: list[str] = Field(default_factory=list, description="!!! meta blocks")
    example_ids: list[str] = Field(default_factory=list)

    @property
    def parent(self) -> str | None:
        return self.parents[-1] if self.parents else None


class ParsedRelease(BaseModel):
    release: str
    sections: list[Section]
    examples: list[Example]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def path_titles(self, section: Section) -> list[str]:
        titles = {s.id: s.title for s in self.sections}
        return [titles[p] for p in section.parents if p in titles] + [section.title]
