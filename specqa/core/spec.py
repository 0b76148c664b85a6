"""The parsed shape of one Model Spec release."""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

from pydantic import BaseModel, Field

__all__ = [
    "AuthorityLevel",
    "Example",
    "ExampleLabel",
    "ExampleStep",
    "ParsedRelease",
    "Response",
    "Section",
    "Turn",
    "is_example_label",
]

AuthorityLevel = Literal["root", "system", "developer", "user", "guideline", "platform"]
"""As the spec declares them; ``platform`` is the older name of root and system."""
ExampleLabel = Literal["GOOD", "BAD", "OK"]


def is_example_label(text: str) -> TypeGuard[ExampleLabel]:
    return text in get_args(ExampleLabel)


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


class ExampleStep(BaseModel):
    """One step of an example: turns of the conversation in order, then the labelled candidate
    replies (one ``<comparison>``) to the last of those turns."""

    turns: list[Turn] = Field(default_factory=list, description="Conversation turns, in order")
    responses: list[Response] = Field(
        default_factory=list,
        description="Candidate replies to the last turn above; empty when no comparison follows",
    )

    @property
    def answered(self) -> Turn | None:
        """The turn the responses answer (the last turn of the step)."""
        return self.turns[-1] if self.turns else None


class Example(BaseModel):
    """A ``**Example**:`` block: a conversation with labelled candidate replies, as ordered steps.

    Most examples have one step (the conversation, then one comparison); a multi-step example has
    a comparison after each turn it judges, and the next step's turns continue the conversation.
    """

    id: str = Field(description="<section_id>/ex<n>, n counting from 1 within the section")
    title: str
    section_id: str
    steps: list[ExampleStep]

    @property
    def conversation(self) -> list[Turn]:
        """Every turn of every step, in order (the labelled replies left out)."""
        return [turn for step in self.steps for turn in step.turns]

    @property
    def responses(self) -> list[Response]:
        """Every labelled reply of every step, in order."""
        return [response for step in self.steps for response in step.responses]

    @property
    def user_turns(self) -> list[str]:
        """The text of each user turn, in order."""
        return [turn.content for turn in self.conversation if turn.role == "user"]

    @property
    def labels(self) -> list[str]:
        return [response.label for response in self.responses]

    @property
    def multi_step(self) -> bool:
        """True when more than one turn of the conversation gets labelled replies."""
        return sum(1 for step in self.steps if step.responses) > 1


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
    refs: list[str] = Field(
        default_factory=list, description="The other sections its prose links to, in order"
    )
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
