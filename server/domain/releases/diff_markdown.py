"""A release diff as markdown, what matters first (chat, MCP, Slack and change answers)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from server.domain.releases.diff import (
    ExampleChanges,
    ReleaseDiff,
    RenamedSection,
    SectionChange,
    examples_summary,
    rename_summary,
    renamed_where,
)
from server.domain.releases.example_diff import describe_reply, describe_turn
from server.domain.releases.text_diff import SentenceEdit
from specqa.core.spec import ParsedRelease

__all__ = [
    "MAX_SENTENCES_SHOWN",
    "backwards_note",
    "counts_line",
    "example_bullets",
    "examples_markdown",
    "rename_fact",
    "render_diff_markdown",
    "sentence_bullets",
]


def render_diff_markdown(
    diff: ReleaseDiff,
    old: ParsedRelease | None = None,
    new: ParsedRelease | None = None,
    first: str | None = None,
) -> str:
    """A readable summary of a diff, what matters first: sections added, removed and renamed,
    authority changes, rules whose meaning changed (with the changed sentences), examples, and
    trivial edits last. ``old``/``new`` add the titles of added and removed sections; ``first``
    "removed" tells the removed sections before the added ones ("Which sections were removed…?")."""
    scope = f" (section `{diff.section}`)" if diff.section else ""
    lines = [f"## Model Spec {diff.from_release} -> {diff.to_release}{scope}", ""]
    if diff.backwards:
        lines += [f"*{backwards_note(diff)}*", ""]
    added = _bullets("Added sections", [_titled(sid, new) for sid in diff.added])
    removed = _bullets("Removed sections", [_titled(sid, old) for sid in diff.removed])
    lines += removed + added if first == "removed" else added + removed
    lines += _bullets(
        "Renamed", [f"`{r.to_id}`: {rename_summary(r, diff.to_release)}" for r in diff.renamed]
    )
    lines += _bullets(
        "Authority changed",
        [
            f"`{a.section_id}`: {a.from_authority} -> {a.to_authority}"
            for a in diff.authority_changed
        ],
    )
    meaning = [c for c in diff.changes if c.significance == "meaning"]
    trivial = [c for c in diff.changes if c.significance == "trivial"]
    lines += _changes_block("Rules whose wording changed", meaning)
    lines += _bullets(
        "Sections whose examples changed",
        [_example_line(sid, ch) for sid, ch in diff.examples.items()],
    )
    lines += _changes_block("Trivial edits (punctuation, case, a word or two)", trivial)
    if len(lines) == (4 if diff.backwards else 2):
        lines.append("No differences.")
    return "\n".join(lines).rstrip() + "\n"


def backwards_note(diff: ReleaseDiff) -> str:
    """What a diff read backwards (from the newer release) says first, on every surface."""
    return (
        f"Backwards: {diff.from_release} is the newer release, so what it added is listed as "
        f"removed and what it removed as added (swap them to read the history forwards)."
    )


def examples_markdown(
    diff: ReleaseDiff, new: ParsedRelease | None = None, first: str | None = None
) -> str:
    """The examples a diff adds, removes or changes, section by section, each by its title
    ("Which examples were added in the October release?"). ``first``: "added" or "removed", the
    kind of change asked about; the sections with such examples come first."""
    lines = [f"## Examples, Model Spec {diff.from_release} -> {diff.to_release}", ""]
    changes = list(diff.examples.items())
    if first in ("added", "removed"):  # stable: the diff's order within each group
        changes.sort(key=lambda item: not getattr(item[1], str(first)))
    for section_id, change in changes:
        lines.append(f"- {_titled(section_id, new)}: {examples_summary(change)}")
        lines += example_bullets(change)
    if not diff.examples:
        lines.append("No example was added, removed or changed.")
    return "\n".join(lines)


MAX_SENTENCES_SHOWN = 6
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def _unlisted(sentence: str) -> str:
    """A list item's sentence without its marker: quoted, "- simply ignore…" reads as a typo."""
    return _LIST_MARKER.sub("", sentence, count=1)


def sentence_bullets(edits: Sequence[SentenceEdit], indent: str = "  ") -> list[str]:
    """Markdown bullets for changed sentences: removed, added, or changed with word marks."""
    lines = []
    for edit in edits[:MAX_SENTENCES_SHOWN]:
        where = " (commentary)" if edit.part == "commentary" else ""
        if edit.removed and edit.added:
            lines.append(f"{indent}- changed{where}: “{_unlisted(edit.marked)}”")
        elif edit.added:
            lines.append(f"{indent}- added{where}: “{_unlisted(edit.added)}”")
        else:
            lines.append(f"{indent}- removed{where}: “{_unlisted(edit.removed)}”")
    if len(edits) > MAX_SENTENCES_SHOWN:
        lines.append(f"{indent}- … and {len(edits) - MAX_SENTENCES_SHOWN} more")
    return lines


def _changes_block(heading: str, changes: Sequence[SectionChange]) -> list[str]:
    if not changes:
        return []
    lines = [f"**{heading} ({len(changes)}):**"]
    for change in changes:
        lines.append(f"- `{change.section_id}` {change.title}: {change.summary}")
        lines += sentence_bullets(change.sentences)
    return [*lines, ""]


def _titled(section_id: str, release: ParsedRelease | None) -> str:
    section = release.section(section_id) if release else None
    if section is None:
        return f"`{section_id}`"
    return f"`{section_id}` {section.title} (authority: {section.authority or 'none'})"


def _bullets(heading: str, items: list[str]) -> list[str]:
    return [f"**{heading} ({len(items)}):**", *(f"- {item}" for item in items), ""] if items else []


def _example_line(section_id: str, change: ExampleChanges) -> str:
    relabels = "; ".join(
        f'"{r.title}" {"/".join(r.from_labels)} -> {"/".join(r.to_labels)}'
        for r in change.relabelled
    )
    line = f"`{section_id}`: {examples_summary(change)}" + (f" ({relabels})" if relabels else "")
    return "\n".join([line, *example_bullets(change)])


def example_bullets(change: ExampleChanges, indent: str = "  ") -> list[str]:
    """A bullet for each example added or removed, by its title, and for each whose messages or
    replies changed: its title, then how each message and reply did."""
    return [
        *(f"{indent}- example added: “{title}”" for title in change.added),
        *(f"{indent}- example removed: “{title}”" for title in change.removed),
        *(
            f"{indent}- “{example.title}”: "
            + "; ".join([*map(describe_turn, example.turns), *map(describe_reply, example.replies)])
            for example in change.replies
        ),
    ]


def rename_fact(rename: RenamedSection) -> str:
    """E.g. ``- renamed in 2025-09-12: “Old title” (`old_id`) → “New title” (`new_id`)``."""
    if rename.kind == "title":
        return f"- renamed: “{rename.from_title}” → “{rename.to_title}”"
    where = renamed_where(rename)
    return (
        f"- renamed{where}: “{rename.from_title}” (`{rename.from_id}`) → “{rename.to_title}” "
        f"(`{rename.to_id}`)"
    )


def counts_line(diff: ReleaseDiff) -> str:
    """E.g. ``From 2025-09-12 to 2025-10-27: 1 section added, 0 removed, …``."""
    meaning = sum(1 for c in diff.changes if c.significance == "meaning")
    trivial = len(diff.changes) - meaning
    added = len(diff.added)
    return (
        f"From {diff.from_release} to {diff.to_release}: {added} section"
        f"{'' if added == 1 else 's'} added, {len(diff.removed)} removed, "
        f"{len(diff.renamed)} renamed, {len(diff.authority_changed)} authority changes, "
        f"{meaning} reworded, {trivial} with trivial edits only."
    )
