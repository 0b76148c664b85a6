"""`specqa diff` as a word diff for people, like ``git diff --word-diff``: removed words in
``[-…-]``, added ones in ``{+…+}``, coloured (red struck through, green) in a terminal.

The order is what matters first: sections added, removed and renamed, authority changes, rules
whose wording changed, examples, and trivial edits last.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console
from rich.text import Text

from server.domain.releases.diff import ExampleChanges, ReleaseDiff, SectionChange, renamed_where
from server.domain.releases.diff_markdown import backwards_note
from server.domain.releases.example_diff import describe_reply, describe_turn
from server.domain.releases.text_diff import SentenceEdit, word_ops
from specqa.core.spec import ParsedRelease

__all__ = ["print_word_diff", "sentence_text"]

REMOVED = "red strike"
ADDED = "green"


def print_word_diff(
    console: Console, diff: ReleaseDiff, old: ParsedRelease, new: ParsedRelease
) -> None:
    for line in _lines(diff, old, new):
        console.print(line, soft_wrap=True, highlight=False)


def sentence_text(edit: SentenceEdit, indent: str = "    ") -> Text:
    """One changed run of sentences: the whole new text with the old words marked in place."""
    text = Text(indent)
    if edit.part == "commentary":
        text.append("(commentary) ", style="dim")
    for op in word_ops(edit.removed, edit.added):
        body, space = op.text.rstrip(), op.text[len(op.text.rstrip()) :]
        if op.tag == "equal":
            text.append(op.text)
        elif op.tag == "removed":
            text.append(f"[-{body}-]", style=REMOVED).append(space)
        else:
            text.append(f"{{+{body}+}}", style=ADDED).append(space)
    return text


def _lines(diff: ReleaseDiff, old: ParsedRelease, new: ParsedRelease) -> Iterator[Text]:
    scope = f" (section {diff.section})" if diff.section else ""
    yield Text(f"Model Spec {diff.from_release} -> {diff.to_release}{scope}", style="bold")
    if diff.backwards:
        yield Text(backwards_note(diff), style="yellow")
    yield from _listed("Added sections", [_titled(s, new, "+") for s in diff.added], ADDED)
    yield from _listed("Removed sections", [_titled(s, old, "-") for s in diff.removed], REMOVED)
    renames = [
        f"  ~ {r.from_id} -> {r.to_id}{renamed_where(r, diff.to_release)}  "
        f'"{r.from_title}" -> "{r.to_title}"'
        for r in diff.renamed
    ]
    yield from _listed("Renamed", renames, "yellow")
    authority = [
        f"  ~ {a.section_id}: {a.from_authority} -> {a.to_authority}"
        for a in diff.authority_changed
    ]
    yield from _listed("Authority changed", authority, "yellow")
    meaning = [c for c in diff.changes if c.significance == "meaning"]
    yield from _changes("Rules whose wording changed", meaning)
    examples = [
        "\n".join([f"  {sid}: {_examples(ch)}", *_replies(ch)]) for sid, ch in diff.examples.items()
    ]
    yield from _listed("Sections whose examples changed", examples, "")
    trivial = [c for c in diff.changes if c.significance == "trivial"]
    yield from _changes("Trivial edits (punctuation, case, a word or two)", trivial)
    found = (diff.added, diff.removed, diff.renamed, diff.authority_changed, diff.changes)
    if not any(found) and not diff.examples:
        yield Text("No differences.")


def _listed(heading: str, items: Sequence[str], style: str) -> Iterator[Text]:
    if items:
        yield Text(f"\n{heading} ({len(items)})", style="bold")
        for item in items:
            yield Text(item, style=style)


def _changes(heading: str, changes: Sequence[SectionChange]) -> Iterator[Text]:
    if not changes:
        return
    yield Text(f"\n{heading} ({len(changes)})", style="bold")
    for change in changes:
        yield Text(f"  {change.section_id}  {change.title}", style="cyan").append(
            f"  ({change.summary})", style="dim"
        )
        for edit in change.sentences:
            yield sentence_text(edit)


def _titled(section_id: str, release: ParsedRelease, sign: str) -> str:
    section = release.section(section_id)
    title = f"  {section.title} (authority: {section.authority or 'none'})" if section else ""
    return f"  {sign} {section_id}{title}"


def _examples(change: ExampleChanges) -> str:
    parts = [
        f"{len(change.added)} added" if change.added else "",
        f"{len(change.removed)} removed" if change.removed else "",
        ", ".join(
            f'"{r.title}" {"/".join(r.from_labels)} -> {"/".join(r.to_labels)}'
            for r in change.relabelled
        ),
        f"{len(change.changed)} changed" if change.changed else "",
        f"{len(change.moved)} moved" if change.moved else "",
    ]
    return "; ".join(p for p in parts if p)


def _replies(change: ExampleChanges) -> list[str]:
    return [
        f'    "{example.title}": {line}'
        for example in change.replies
        for line in [*map(describe_turn, example.turns), *map(describe_reply, example.replies)]
    ]
