"""Compare Model Spec releases: sections added, removed, renamed or changed, and their examples.

Pure functions over :class:`ParsedRelease` values; no I/O and no state.

* Sections are matched by id. A removed section whose text (body and commentary) mostly lives on
  in an added section is that section under a new id: at least ``RENAME_KEPT`` of its words
  survive, in order, in the added one (difflib matching blocks over words). Measured on the
  releases: protect_privileged_messages -> protect_privileged_information keeps 65% (the new
  section also grew to three times the length), be_kind -> love_humanity 100%; the best pair that
  is not a rename keeps 42% (be_engaging -> have_conversational_sense).
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
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from server.domain.wording import SentenceEdit, sentence_edits, sentence_lines
from specqa.core.errors import UnknownSectionError
from specqa.core.names import did_you_mean
from specqa.core.spec import Example, ParsedRelease, Section

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
    "sentence_bullets",
]

RENAME_KEPT = 0.6
EXAMPLE_MATCH_RATIO = 0.7
DIFF_CONTEXT_LINES = 1
_NON_WORD = re.compile(r"[\W_]+")

K = TypeVar("K", bound=Hashable)
EventKind = Literal[
    "present", "added", "removed", "changed", "renamed", "authority", "examples", "unchanged"
]
Significance = Literal["meaning", "trivial"]


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
    sentences: list[SentenceEdit] = Field(
        default_factory=list, description="The changed sentences, removed and added, word-marked"
    )
    significance: Significance = Field(
        default="meaning", description="trivial: only punctuation, case or a word or two changed"
    )


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
    sentences: list[SentenceEdit] = Field(default_factory=list)


class SectionHistory(_Model):
    section_id: str
    present_in: list[str] = Field(description="Releases holding the section, under any of its ids")
    ids: dict[str, str] = Field(
        default_factory=dict, description="Release -> the section's id there (renames followed)"
    )
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
    hint = did_you_mean(section, [s.id for s in (*old.sections, *new.sections)])
    raise UnknownSectionError(
        f"Unknown section id {section!r}{hint}: it is in neither release {old.release} "
        f"nor {new.release}"
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
    """Pair removed with added sections whose text mostly lives on (old id -> new id)."""
    words_old = [(s.id, _squash(_section_text(s)).split()) for s in removed]
    words_new = [(s.id, _squash(_section_text(s)).split()) for s in added]
    scored = [
        (_kept(o_words, n_words), o_id, n_id)
        for o_id, o_words in words_old
        for n_id, n_words in words_new
        if o_words and n_words
    ]
    return _greedy_pairs(scored, RENAME_KEPT)


def _kept(old: list[str], new: list[str]) -> float:
    """The share of ``old``'s words that appear, in order, in ``new`` (0 when even the words in
    common, in any order, fall short of ``RENAME_KEPT``: the cheap bound skips the matching)."""
    common = sum((Counter(old) & Counter(new)).values())
    if common / len(old) < RENAME_KEPT:
        return 0.0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(old)


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
    old_commentary, new_commentary = "\n\n".join(old.commentary), "\n\n".join(new.commentary)
    body = sentence_edits(old.body, new.body, "body")
    commentary = sentence_edits(old_commentary, new_commentary, "commentary")
    sentences = [*body, *commentary]
    parts = [
        _text_summary("body", old.body, new.body, body),
        _text_summary("commentary", old_commentary, new_commentary, commentary),
    ]
    return SectionChange(
        section_id=new.id,
        title=new.title,
        summary=_join([*parts, *_extras(diff, new.id)]),
        body_diff=_unified(
            old.body, new.body, f"{diff.from_release}/{old.id}", f"{diff.to_release}/{new.id}"
        ),
        commentary_diff=_unified(
            old_commentary,
            new_commentary,
            f"{diff.from_release}/{old.id} commentary",
            f"{diff.to_release}/{new.id} commentary",
        ),
        sentences=sentences,
        significance="trivial" if all(e.trivial for e in sentences) else "meaning",
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


def _text_summary(name: str, old: str, new: str, edits: Sequence[SentenceEdit]) -> str:
    """E.g. ``body: 2 sentences changed, 1 added``; empty if unchanged."""
    if _squash(old) == _squash(new):
        return ""
    counts = [
        (sum(1 for e in edits if e.removed and e.added), "changed"),
        (sum(1 for e in edits if e.added and not e.removed), "added"),
        (sum(1 for e in edits if e.removed and not e.added), "removed"),
    ]
    return f"{name}: " + (_counted("sentence", counts) or "spacing changed")


def _unified(old: str, new: str, old_name: str, new_name: str) -> str:
    if _squash(old) == _squash(new):
        return ""
    lines = difflib.unified_diff(
        sentence_lines(old),
        sentence_lines(new),
        fromfile=old_name,
        tofile=new_name,
        lineterm="",
        n=DIFF_CONTEXT_LINES,
    )
    return "\n".join(lines)


# --- section_history -------------------------------------------------------------------------


def section_history(releases: list[ParsedRelease], section_id: str) -> SectionHistory:
    """What happened to one section across ``releases`` (oldest first), release by release.

    Renames are followed both ways: a section whose id changed but whose text mostly did not (see
    ``RENAME_KEPT``) is one section, so its history starts where its oldest id first appears.
    A section in the first indexed release is "present" there (not "added": nothing older was
    indexed); releases where nothing happened to the section record no event.
    """
    ids = _ids_across(releases, section_id)
    if not ids:
        names = ", ".join(r.release for r in releases) or "no releases"
        hint = did_you_mean(section_id, {s.id for r in releases for s in r.sections})
        raise UnknownSectionError(
            f"Unknown section id {section_id!r}{hint}: it is in none of {names}"
        )
    first = releases[0].section(ids.get(releases[0].release, section_id))
    events = [_present_event(releases[0].release, first)] if first else []
    for old, new in itertools.pairwise(releases):
        current = ids.get(new.release) or ids.get(old.release)
        if current is not None:
            event = _event(diff_releases(old, new, current), old, new, current)
            events += [event] if event else []
    return SectionHistory(section_id=section_id, present_in=list(ids), ids=ids, events=events)


def _ids_across(releases: list[ParsedRelease], section_id: str) -> dict[str, str]:
    """Release -> the section's id in that release, following id renames back and forth."""
    ids = {r.release: section_id for r in releases if r.section(section_id)}
    pairs = list(itertools.pairwise(releases))
    for old, new in reversed(pairs):
        if new.release in ids and old.release not in ids:
            ids |= _renamed_id(old, new, ids[new.release], backwards=True)
    for old, new in pairs:
        if old.release in ids and new.release not in ids:
            ids |= _renamed_id(old, new, ids[old.release], backwards=False)
    return {r.release: ids[r.release] for r in releases if r.release in ids}


def _renamed_id(
    old: ParsedRelease, new: ParsedRelease, known: str, *, backwards: bool
) -> dict[str, str]:
    same = old if backwards else new
    if same.section(known):
        return {same.release: known}
    for rename in diff_releases(old, new, known).renamed:
        if rename.kind == "id" and backwards and rename.to_id == known:
            return {old.release: rename.from_id}
        if rename.kind == "id" and not backwards and rename.from_id == known:
            return {new.release: rename.to_id}
    return {}


def _present_event(release: str, section: Section) -> HistoryEvent:
    return HistoryEvent(
        release=release,
        kind="present",
        summary=f"present since the first indexed release ({release}): " + _described(section),
    )


def _described(section: Section) -> str:
    examples = len(section.example_ids)
    return (
        f'"{section.title}" (authority: {section.authority or "none"}, '
        f"{examples} example{'' if examples == 1 else 's'})"
    )


def _added_event(release: str, section: Section) -> HistoryEvent:
    return HistoryEvent(release=release, kind="added", summary=f"added {_described(section)}")


def _event(
    diff: ReleaseDiff, old: ParsedRelease, new: ParsedRelease, section_id: str
) -> HistoryEvent | None:
    kind = _event_kind(diff, section_id)
    added = new.section(section_id)
    if kind == "added" and added:
        return _added_event(new.release, added)
    sentences: list[SentenceEdit] = []
    if kind == "removed":
        summary = _join([f"removed (last in {old.release})", *_extras(diff, section_id)])
    elif diff.changes:
        summary, sentences = diff.changes[0].summary, diff.changes[0].sentences
    else:
        summary = _join(_extras(diff, diff.renamed[0].to_id if diff.renamed else section_id))
    if kind is None:
        return None
    return HistoryEvent(release=new.release, kind=kind, summary=summary, sentences=sentences)


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


def render_diff_markdown(
    diff: ReleaseDiff, old: ParsedRelease | None = None, new: ParsedRelease | None = None
) -> str:
    """A readable summary of a diff, what matters first: sections added, removed and renamed,
    authority changes, rules whose meaning changed (with the changed sentences), examples, and
    trivial edits last. ``old``/``new`` add the titles of added and removed sections."""
    scope = f" (section `{diff.section}`)" if diff.section else ""
    lines = [f"## Model Spec {diff.from_release} -> {diff.to_release}{scope}", ""]
    lines += _bullets("Added sections", [_titled(sid, new) for sid in diff.added])
    lines += _bullets("Removed sections", [_titled(sid, old) for sid in diff.removed])
    lines += _bullets("Renamed", [f"`{r.to_id}`: {_rename_summary(r)}" for r in diff.renamed])
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
    lines += _bullets("Examples", [_example_line(sid, ch) for sid, ch in diff.examples.items()])
    lines += _changes_block("Trivial edits (punctuation, case, a word or two)", trivial)
    if len(lines) == 2:
        lines.append("No differences.")
    return "\n".join(lines).rstrip() + "\n"


MAX_SENTENCES_SHOWN = 6


def sentence_bullets(edits: Sequence[SentenceEdit], indent: str = "  ") -> list[str]:
    """Markdown bullets for changed sentences: removed, added, or changed with word marks."""
    lines = []
    for edit in edits[:MAX_SENTENCES_SHOWN]:
        where = " (commentary)" if edit.part == "commentary" else ""
        if edit.removed and edit.added:
            lines.append(f"{indent}- changed{where}: “{edit.marked}”")
        elif edit.added:
            lines.append(f"{indent}- added{where}: “{edit.added}”")
        else:
            lines.append(f"{indent}- removed{where}: “{edit.removed}”")
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
    return f"`{section_id}`: {_examples_summary(change)}" + (f" ({relabels})" if relabels else "")
