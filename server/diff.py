"""Compare Model Spec releases: sections added, removed, renamed or changed, and their examples.

Pure functions over :class:`ParsedRelease` values; no I/O and no state.

* Sections are matched by id. A removed and an added section whose text (body and commentary) is
  essentially the same (difflib ratio >= ``RENAME_RATIO``) are one section under a new id.
* Example ids are numbered within a section, so examples are matched by content across the whole
  release: title and conversation, then conversation alone, then title alone, then the best fuzzy
  match. A matched example in another section has *moved*.
* Authority is a heading attribute, so a changed authority is reported in ``authority_changed``
  and never as a body change.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ingest.models import Example, ParsedRelease, Section
from specqa.errors import UnknownSectionError

__all__ = [
    "AuthorityChange",
    "ExampleChanges",
    "ExampleMove",
    "ExampleRelabel",
    "HistoryEvent",
    "ReleaseDiff",
    "RenamedSection",
    "SectionChange",
    "SectionHistory",
    "diff_releases",
    "render_diff_markdown",
    "section_history",
]

RENAME_RATIO = 0.9
EXAMPLE_MATCH_RATIO = 0.7
DIFF_CONTEXT_LINES = 1
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[*_`])")
_NON_WORD = re.compile(r"[\W_]+")

K = TypeVar("K", bound=Hashable)
EventKind = Literal["added", "removed", "changed", "renamed", "authority", "examples", "unchanged"]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class RenamedSection(_Model):
    from_id: str
    to_id: str
    from_title: str
    to_title: str
    kind: Literal["title", "id"] = Field(description="title: same id; id: same text, new id")


class AuthorityChange(_Model):
    section_id: str
    from_authority: str | None = Field(alias="from")
    to_authority: str | None = Field(alias="to")


class ExampleRelabel(_Model):
    title: str
    from_labels: list[str] = Field(alias="from")
    to_labels: list[str] = Field(alias="to")


class ExampleMove(_Model):
    title: str
    from_section: str
    to_section: str


class ExampleChanges(_Model):
    added: list[str] = Field(default_factory=list, description="Titles")
    removed: list[str] = Field(default_factory=list, description="Titles")
    relabelled: list[ExampleRelabel] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list, description="Same labels, other text changed")
    moved: list[ExampleMove] = Field(default_factory=list, description="Listed in both sections")

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.relabelled or self.changed or self.moved)


class SectionChange(_Model):
    section_id: str
    title: str
    summary: str = Field(description="One line")
    body_diff: str = Field(description="Unified diff of the body, one sentence a line")
    commentary_diff: str = ""


class ReleaseDiff(_Model):
    from_release: str = Field(alias="from")
    to_release: str = Field(alias="to")
    section: str | None = None
    added: list[str] = Field(default_factory=list, description="Section ids")
    removed: list[str] = Field(default_factory=list, description="Section ids")
    renamed: list[RenamedSection] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list, description="Body or commentary changed")
    changes: list[SectionChange] = Field(default_factory=list)
    authority_changed: list[AuthorityChange] = Field(default_factory=list)
    examples: dict[str, ExampleChanges] = Field(default_factory=dict)


class HistoryEvent(_Model):
    release: str
    kind: EventKind
    summary: str


class SectionHistory(_Model):
    section_id: str
    present_in: list[str]
    events: list[HistoryEvent]


# --- diff_releases ---------------------------------------------------------------------------


def diff_releases(
    old: ParsedRelease, new: ParsedRelease, section: str | None = None
) -> ReleaseDiff:
    """What changed from ``old`` to ``new``; with ``section``, only what concerns that id."""
    _check_known(old, new, section)
    old_ids = {s.id: s for s in old.sections}
    new_ids = {s.id: s for s in new.sections}
    renamed_ids = _match_renamed_ids(
        [s for s in old.sections if s.id not in new_ids],
        [s for s in new.sections if s.id not in old_ids],
    )
    mapping = {sid: sid for sid in old_ids if sid in new_ids} | renamed_ids
    keep = _related(section, mapping)
    pairs = [(old_ids[o], new_ids[n]) for o, n in mapping.items() if keep(o) or keep(n)]
    diff = ReleaseDiff.model_validate(
        {
            "from": old.release,
            "to": new.release,
            "section": section,
            "added": [s.id for s in new.sections if s.id not in mapping.values() and keep(s.id)],
            "removed": [s.id for s in old.sections if s.id not in mapping and keep(s.id)],
            "renamed": _renames(pairs),
            "changed": [n.id for o, n in pairs if _text_changed(o, n)],
            "authority_changed": _authority_changes(pairs),
            "examples": _filter_keys(_example_changes(old, new, mapping), keep),
        }
    )
    diff.changes = [_section_change(diff, o, n) for o, n in pairs if _text_changed(o, n)]
    return diff


def _check_known(old: ParsedRelease, new: ParsedRelease, section: str | None) -> None:
    if section is None or old.section(section) or new.section(section):
        return
    raise UnknownSectionError(
        f"Unknown section id {section!r}: it is in neither release {old.release} nor {new.release}"
    )


def _related(section: str | None, mapping: dict[str, str]) -> Callable[[str], bool]:
    """A predicate for the ids to report: all, or the section and its counterpart under a new id."""
    if section is None:
        return lambda _sid: True
    ids = {section} | {n for o, n in mapping.items() if o == section}
    ids |= {o for o, n in mapping.items() if n == section}
    return ids.__contains__


def _filter_keys(
    changes: dict[str, ExampleChanges], keep: Callable[[str], bool]
) -> dict[str, ExampleChanges]:
    return {sid: change for sid, change in changes.items() if keep(sid)}


def _section_text(section: Section) -> str:
    return "\n\n".join([section.body, *section.commentary])


def _squash(text: str) -> str:
    return " ".join(text.split())


def _text_changed(old: Section, new: Section) -> bool:
    return _squash(_section_text(old)) != _squash(_section_text(new))


def _match_renamed_ids(removed: Sequence[Section], added: Sequence[Section]) -> dict[str, str]:
    """Pair removed with added sections whose text is essentially the same (old id -> new id)."""
    texts_old = [(s.id, _squash(_section_text(s))) for s in removed]
    texts_new = [(s.id, _squash(_section_text(s))) for s in added]
    candidates = [
        (o_id, n_id, o_text, n_text)
        for o_id, o_text in texts_old
        for n_id, n_text in texts_new
        if o_text and n_text
    ]
    scored = [(_ratio(o_text, n_text, RENAME_RATIO), o, n) for o, n, o_text, n_text in candidates]
    return _greedy_pairs(scored, RENAME_RATIO)


def _ratio(a: str, b: str, floor: float) -> float:
    """difflib's ratio, skipping the expensive computation when the cheap bounds rule it out."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def _greedy_pairs(scored: Iterable[tuple[float, K, K]], floor: float) -> dict[K, K]:
    """One-to-one pairs, best score first, keeping only scores of at least ``floor``."""
    pairs: dict[K, K] = {}
    taken: set[K] = set()
    for score, old, new in sorted(scored, key=lambda item: -item[0]):
        if score >= floor and old not in pairs and new not in taken:
            pairs[old] = new
            taken.add(new)
    return pairs


def _renames(pairs: Sequence[tuple[Section, Section]]) -> list[RenamedSection]:
    return [
        RenamedSection(
            from_id=o.id,
            to_id=n.id,
            from_title=o.title,
            to_title=n.title,
            kind="id" if o.id != n.id else "title",
        )
        for o, n in pairs
        if o.id != n.id or o.title != n.title
    ]


def _authority_changes(pairs: Sequence[tuple[Section, Section]]) -> list[AuthorityChange]:
    return [
        AuthorityChange.model_validate({"section_id": n.id, "from": o.authority, "to": n.authority})
        for o, n in pairs
        if o.authority != n.authority
    ]


# --- examples --------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def _conversation_key(example: Example) -> str:
    return _normalize(" ".join(f"{turn.role}: {turn.content}" for turn in example.conversation))


def _title_key(example: Example) -> str:
    return _normalize(example.title)


def _full_key(example: Example) -> str:
    return f"{_title_key(example)}\n{_conversation_key(example)}"


def _match_examples(
    old: Sequence[Example], new: Sequence[Example]
) -> list[tuple[Example, Example]]:
    """Pair examples by content: exact keys from strictest to loosest, then a fuzzy match."""
    pairs: list[tuple[Example, Example]] = []
    left_old, left_new = list(old), list(new)
    for key in (_full_key, _conversation_key, _title_key):
        found, left_old, left_new = _pair_by_key(left_old, left_new, key)
        pairs += found
    return pairs + _pair_fuzzy(left_old, left_new)


def _pair_by_key(
    old: list[Example], new: list[Example], key: Callable[[Example], str]
) -> tuple[list[tuple[Example, Example]], list[Example], list[Example]]:
    waiting: dict[str, list[Example]] = defaultdict(list)
    for example in new:
        if key(example):
            waiting[key(example)].append(example)
    pairs = [(o, waiting[key(o)].pop(0)) for o in old if key(o) and waiting.get(key(o))]
    paired_old = {id(o) for o, _ in pairs}
    paired_new = {id(n) for _, n in pairs}
    return (
        pairs,
        [o for o in old if id(o) not in paired_old],
        [n for n in new if id(n) not in paired_new],
    )


def _pair_fuzzy(old: list[Example], new: list[Example]) -> list[tuple[Example, Example]]:
    scored = [
        (_ratio(_full_key(o), _full_key(n), EXAMPLE_MATCH_RATIO), i, j)
        for i, o in enumerate(old)
        for j, n in enumerate(new)
    ]
    return [(old[i], new[j]) for i, j in _greedy_pairs(scored, EXAMPLE_MATCH_RATIO).items()]


def _example_content(example: Example) -> tuple[str, ...]:
    """Everything an example says, whitespace aside: a LaTeX or typo fix counts as a change."""
    turns = (f"{t.role} {sorted(t.attributes.items())} {t.content}" for t in example.conversation)
    responses = (f"{r.label} {r.refs} {r.rationale} {r.text}" for r in example.responses)
    return (example.title, *map(_squash, turns), "<comparison>", *map(_squash, responses))


def _example_changes(
    old: ParsedRelease, new: ParsedRelease, mapping: dict[str, str]
) -> dict[str, ExampleChanges]:
    """Per section id (the new id where the section survives), what happened to its examples."""
    changes: dict[str, ExampleChanges] = defaultdict(ExampleChanges)
    pairs = _match_examples(old.examples, new.examples)
    paired_old = {id(o) for o, _ in pairs}
    paired_new = {id(n) for _, n in pairs}
    for example in old.examples:
        if id(example) not in paired_old:
            changes[mapping.get(example.section_id, example.section_id)].removed.append(
                example.title
            )
    for example in new.examples:
        if id(example) not in paired_new:
            changes[example.section_id].added.append(example.title)
    for o, n in pairs:
        _record_pair(changes, mapping.get(o.section_id, o.section_id), o, n)
    return {sid: change for sid, change in changes.items() if not change.is_empty()}


def _record_pair(
    changes: dict[str, ExampleChanges], old_section: str, old: Example, new: Example
) -> None:
    if old_section != new.section_id:
        move = ExampleMove(title=new.title, from_section=old.section_id, to_section=new.section_id)
        changes[old_section].moved.append(move)
        changes[new.section_id].moved.append(move)
    if old.labels != new.labels:
        relabel = ExampleRelabel.model_validate(
            {"title": new.title, "from": old.labels, "to": new.labels}
        )
        changes[new.section_id].relabelled.append(relabel)
    elif _example_content(old) != _example_content(new):
        changes[new.section_id].changed.append(new.title)


# --- summaries and text diffs ----------------------------------------------------------------


def _section_change(diff: ReleaseDiff, old: Section, new: Section) -> SectionChange:
    parts = [
        _text_summary("body", old.body, new.body),
        _text_summary("commentary", "\n\n".join(old.commentary), "\n\n".join(new.commentary)),
    ]
    return SectionChange(
        section_id=new.id,
        title=new.title,
        summary=_join([*parts, *_extras(diff, new.id)]),
        body_diff=_unified(
            old.body, new.body, f"{diff.from_release}/{old.id}", f"{diff.to_release}/{new.id}"
        ),
        commentary_diff=_unified(
            "\n\n".join(old.commentary),
            "\n\n".join(new.commentary),
            f"{diff.from_release}/{old.id} commentary",
            f"{diff.to_release}/{new.id} commentary",
        ),
    )


def _join(parts: Iterable[str]) -> str:
    return "; ".join(part for part in parts if part)


def _extras(diff: ReleaseDiff, section_id: str) -> list[str]:
    """Summary parts other than text: renames, authority and examples of one section."""
    parts = [_rename_summary(r) for r in diff.renamed if section_id in (r.from_id, r.to_id)]
    parts += [
        f"authority: {a.from_authority} -> {a.to_authority}"
        for a in diff.authority_changed
        if a.section_id == section_id
    ]
    if section_id in diff.examples:
        parts.append(_examples_summary(diff.examples[section_id]))
    return parts


def _rename_summary(rename: RenamedSection) -> str:
    if rename.kind == "id":
        return f"id renamed: {rename.from_id} -> {rename.to_id}"
    return f'title renamed: "{rename.from_title}" -> "{rename.to_title}"'


def _examples_summary(change: ExampleChanges) -> str:
    counts = [
        (len(change.added), "added"),
        (len(change.removed), "removed"),
        (len(change.relabelled), "relabelled"),
        (len(change.changed), "changed"),
        (len(change.moved), "moved"),
    ]
    return _counted("example", counts)


def _counted(noun: str, counts: Sequence[tuple[int, str]]) -> str:
    """E.g. ``2 examples added, 1 removed``; empty when every count is zero."""
    nonzero = [(count, what) for count, what in counts if count]
    if not nonzero:
        return ""
    (first, what), rest = nonzero[0], nonzero[1:]
    head = f"{first} {noun if first == 1 else noun + 's'} {what}"
    return ", ".join([head, *(f"{count} {what}" for count, what in rest)])


def _paragraphs(text: str) -> list[str]:
    return [_squash(p) for p in re.split(r"\n\s*\n", text) if p.strip()]


def _text_summary(name: str, old: str, new: str) -> str:
    """E.g. ``body: 2 paragraphs changed, 1 added, +120/-45 words``; empty if unchanged."""
    if _squash(old) == _squash(new):
        return ""
    plus, minus = _word_delta(old, new)
    paragraphs = _counted("paragraph", _paragraph_counts(old, new))
    return f"{name}: " + ", ".join(filter(None, [paragraphs, f"+{plus}/-{minus} words"]))


def _paragraph_counts(old: str, new: str) -> list[tuple[int, str]]:
    """Paragraphs changed, added and removed, by a paragraph-level diff."""
    changed = added = removed = 0
    matcher = difflib.SequenceMatcher(None, _paragraphs(old), _paragraphs(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            common = min(i2 - i1, j2 - j1)
            changed += common
            added += j2 - j1 - common
            removed += i2 - i1 - common
    return [(changed, "changed"), (added, "added"), (removed, "removed")]


def _word_delta(old: str, new: str) -> tuple[int, int]:
    """Words inserted and deleted, by a word-level diff."""
    matcher = difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False)
    plus = minus = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            plus, minus = plus + j2 - j1, minus + i2 - i1
    return plus, minus


def _sentence_lines(text: str) -> list[str]:
    """The text one sentence a line, blank lines kept between paragraphs."""
    lines: list[str] = []
    for line in text.splitlines():
        lines += _SENTENCE_END.split(line.rstrip()) if line.strip() else [""]
    return lines


def _unified(old: str, new: str, old_name: str, new_name: str) -> str:
    if _squash(old) == _squash(new):
        return ""
    lines = difflib.unified_diff(
        _sentence_lines(old),
        _sentence_lines(new),
        fromfile=old_name,
        tofile=new_name,
        lineterm="",
        n=DIFF_CONTEXT_LINES,
    )
    return "\n".join(lines)


# --- section_history -------------------------------------------------------------------------


def section_history(releases: list[ParsedRelease], section_id: str) -> SectionHistory:
    """What happened to one section across ``releases`` (oldest first), release by release.

    The first release holding the id records an "added" event (a "renamed" one when the section
    came from an older id); releases where nothing happened to the section record no event.
    """
    present_in = [r.release for r in releases if r.section(section_id)]
    if not present_in:
        names = ", ".join(r.release for r in releases) or "no releases"
        raise UnknownSectionError(f"Unknown section id {section_id!r}: it is in none of {names}")
    first = releases[0].section(section_id)
    events = [_added_event(releases[0].release, first)] if first else []
    for old, new in itertools.pairwise(releases):
        if old.section(section_id) or new.section(section_id):
            event = _event(diff_releases(old, new, section_id), old, new, section_id)
            events += [event] if event else []
    return SectionHistory(section_id=section_id, present_in=present_in, events=events)


def _added_event(release: str, section: Section) -> HistoryEvent:
    examples = len(section.example_ids)
    summary = (
        f'added "{section.title}" (authority: {section.authority}, '
        f"{examples} example{'' if examples == 1 else 's'})"
    )
    return HistoryEvent(release=release, kind="added", summary=summary)


def _event(
    diff: ReleaseDiff, old: ParsedRelease, new: ParsedRelease, section_id: str
) -> HistoryEvent | None:
    kind = _event_kind(diff, section_id)
    added = new.section(section_id)
    if kind == "added" and added:
        return _added_event(new.release, added)
    if kind == "removed":
        summary = _join([f"removed (last in {old.release})", *_extras(diff, section_id)])
    elif diff.changes:
        summary = diff.changes[0].summary
    else:
        summary = _join(_extras(diff, diff.renamed[0].to_id if diff.renamed else section_id))
    return HistoryEvent(release=new.release, kind=kind, summary=summary) if kind else None


def _event_kind(diff: ReleaseDiff, section_id: str) -> EventKind | None:
    """The most telling kind of change; ``None`` when nothing happened to the section."""
    if section_id in diff.added:
        return "added"
    if section_id in diff.removed:
        return "removed"
    kinds: list[tuple[bool, EventKind]] = [
        (bool(diff.renamed), "renamed"),
        (bool(diff.authority_changed), "authority"),
        (bool(diff.changed), "changed"),
        (bool(diff.examples), "examples"),
    ]
    return next((kind for happened, kind in kinds if happened), None)


# --- markdown --------------------------------------------------------------------------------


def render_diff_markdown(diff: ReleaseDiff) -> str:
    """A short readable summary of a diff, for the CLI, REST and chat."""
    scope = f" (section `{diff.section}`)" if diff.section else ""
    lines = [f"## Model Spec {diff.from_release} -> {diff.to_release}{scope}", ""]
    lines += _id_list("Added sections", diff.added)
    lines += _id_list("Removed sections", diff.removed)
    lines += _bullets("Renamed", [_rename_summary(r) for r in diff.renamed])
    lines += _bullets(
        "Authority changed",
        [
            f"`{a.section_id}`: {a.from_authority} -> {a.to_authority}"
            for a in diff.authority_changed
        ],
    )
    lines += _bullets(
        "Changed sections", [f"`{c.section_id}` {c.title}: {c.summary}" for c in diff.changes]
    )
    lines += _bullets("Examples", [_example_line(sid, ch) for sid, ch in diff.examples.items()])
    if len(lines) == 2:
        lines.append("No differences.")
    return "\n".join(lines).rstrip() + "\n"


def _id_list(heading: str, ids: list[str]) -> list[str]:
    return (
        [f"**{heading} ({len(ids)}):** " + ", ".join(f"`{sid}`" for sid in ids), ""] if ids else []
    )


def _bullets(heading: str, items: list[str]) -> list[str]:
    return [f"**{heading} ({len(items)}):**", *(f"- {item}" for item in items), ""] if items else []


def _example_line(section_id: str, change: ExampleChanges) -> str:
    relabels = "; ".join(
        f'"{r.title}" {"/".join(r.from_labels)} -> {"/".join(r.to_labels)}'
        for r in change.relabelled
    )
    return f"`{section_id}`: {_examples_summary(change)}" + (f" ({relabels})" if relabels else "")
