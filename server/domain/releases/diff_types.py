"""The typed results of comparing releases (see :mod:`server.domain.releases.diff`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.domain.releases.text_diff import SentenceEdit

__all__ = [
    "AuthorityChange",
    "DiffModel",
    "ExampleChanges",
    "ExampleMove",
    "ExampleRelabel",
    "ExampleReplies",
    "ReleaseDiff",
    "RenamedSection",
    "ReplyChange",
    "SectionChange",
    "Significance",
    "TurnChange",
]

Significance = Literal["meaning", "trivial"]


class DiffModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class RenamedSection(DiffModel):
    from_id: str
    to_id: str
    from_title: str
    to_title: str
    kind: Literal["title", "id"] = Field(description="title: same id; id: same text, new id")
    renamed_in: list[str] = Field(
        default_factory=list,
        description="The releases where the id changed (across several releases, renames are "
        "followed release by release); empty for a title change",
    )


class AuthorityChange(DiffModel):
    section_id: str
    from_authority: str | None = Field(alias="from")
    to_authority: str | None = Field(alias="to")


class ExampleRelabel(DiffModel):
    title: str
    from_labels: list[str] = Field(alias="from")
    to_labels: list[str] = Field(alias="to")


class ExampleMove(DiffModel):
    title: str
    from_section: str
    to_section: str


class ReplyChange(DiffModel):
    """One labelled reply of a matched example: added, removed, rewritten (same label, other
    text) or relabelled (a reply kept, its label flipped)."""

    change: Literal["added", "removed", "rewritten", "relabelled"]
    label_before: str | None = Field(description="GOOD, BAD or OK; null for an added reply")
    label_after: str | None = Field(description="Null for a removed reply")
    before: str | None = Field(description="The reply's text before; null for an added reply")
    after: str | None = Field(description="Its text after; null for a removed reply")


class TurnChange(DiffModel):
    """One message of a matched example's conversation (a developer message, a user turn):
    added, removed or reworded."""

    change: Literal["added", "removed", "reworded"]
    role: str = Field(description="Whose message: system, developer, user, assistant or tool")
    before: str | None = Field(description="Its text before; null for an added message")
    after: str | None = Field(description="Its text after; null for a removed message")


class ExampleReplies(DiffModel):
    """What changed inside one matched example: its conversation's messages and its replies."""

    title: str
    replies: list[ReplyChange]
    turns: list[TurnChange] = Field(
        default_factory=list,
        description="Its conversation's messages that changed (a developer message reworded, a "
        "user turn added): the situation the replies answer",
    )


class ExampleChanges(DiffModel):
    added: list[str] = Field(default_factory=list, description="Titles")
    removed: list[str] = Field(default_factory=list, description="Titles")
    relabelled: list[ExampleRelabel] = Field(
        default_factory=list, description="A reply kept with its label flipped"
    )
    changed: list[str] = Field(
        default_factory=list, description="Titles: text changed, or replies added or removed"
    )
    moved: list[ExampleMove] = Field(default_factory=list, description="Listed in both sections")
    replies: list[ExampleReplies] = Field(
        default_factory=list,
        description="The replies and conversation messages of each relabelled or changed example "
        "that changed, with their text (and labels) before and after",
    )

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.relabelled or self.changed or self.moved)


class SectionChange(DiffModel):
    section_id: str
    title: str
    summary: str = Field(description="One line")
    body_diff: str = Field(description="Unified diff of the body, one sentence a line")
    commentary_diff: str = ""
    sentences: list[SentenceEdit] = Field(
        default_factory=list, description="The changed sentences, removed and added, word-marked"
    )
    significance: Significance = Field(
        default="meaning", description="trivial: only punctuation, case or a word or two changed"
    )


class ReleaseDiff(DiffModel):
    from_release: str = Field(alias="from")
    to_release: str = Field(alias="to")
    section: str | None = None
    backwards: bool = Field(
        default=False,
        description="True when `from` is the newer release: the history read backwards, so what "
        "the newer release added is listed as removed",
    )
    added: list[str] = Field(default_factory=list, description="Section ids")
    removed: list[str] = Field(default_factory=list, description="Section ids")
    renamed: list[RenamedSection] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list, description="Body or commentary changed")
    changes: list[SectionChange] = Field(default_factory=list)
    authority_changed: list[AuthorityChange] = Field(default_factory=list)
    examples: dict[str, ExampleChanges] = Field(default_factory=dict)
