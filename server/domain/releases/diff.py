"""Compare Model Spec releases: sections added, removed, renamed or changed, and their examples.

Pure functions over :class:`ParsedRelease` values; no I/O and no state. A section's history
across releases is in :mod:`server.domain.releases.history`, diffs as markdown in
:mod:`server.domain.releases.diff_markdown`.

* Sections are matched by id. A removed section whose text (body and commentary) mostly lives on
  in an added section is that section under a new id: at least ``RENAME_KEPT`` of its words
  survive, in order, in the added one (see :mod:`server.domain.releases.renames`). Measured on the
  releases: protect_privileged_messages -> protect_privileged_information keeps 65% (the new
  section also grew to three times the length), be_kind -> love_humanity 100%; the best pair that
  is not a rename keeps 42% (be_engaging -> have_conversational_sense). Across several releases
  (``between``), renames are followed release by release first: a section renamed, then
  rewritten, is still the same section.
* Example ids are numbered within a section, so examples are matched by content across the whole
  release, and then their replies (see :mod:`server.domain.releases.example_diff`).
* Authority is a heading attribute, so a changed authority is reported in ``authority_changed``
  and never as a body change.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence

from server.domain.releases.diff_types import (
    AuthorityChange,
    ExampleChanges,
    ExampleMove,
    ExampleRelabel,
    ExampleReplies,
    ReleaseDiff,
    RenamedSection,
    ReplyChange,
    SectionChange,
)
from server.domain.releases.example_diff import example_changes
from server.domain.releases.renames import (
    RENAME_KEPT,
    IdRename,
    chained_renames,
    match_renamed_ids,
    rename_summary,
    renamed_where,
    squash,
)
from server.domain.releases.text_diff import SentenceEdit, sentence_edits, sentence_lines
from specqa.core.errors import UnknownSectionError
from specqa.core.names import did_you_mean
from specqa.core.spec import ParsedRelease, Section

__all__ = [
    "RENAME_KEPT",
    "AuthorityChange",
    "ExampleChanges",
    "ExampleMove",
    "ExampleRelabel",
    "ExampleReplies",
    "ReleaseDiff",
    "RenamedSection",
    "ReplyChange",
    "SectionChange",
    "diff_releases",
    "examples_summary",
    "joined",
    "rename_summary",
    "renamed_where",
    "summary_parts",
]

DIFF_CONTEXT_LINES = 1


# --- diff_releases ---------------------------------------------------------------------------


def diff_releases(
    old: ParsedRelease,
    new: ParsedRelease,
    section: str | None = None,
    between: Sequence[ParsedRelease] = (),
) -> ReleaseDiff:
    """What changed from ``old`` to ``new``; with ``section``, only what concerns that id.
    ``between``: the releases between the two, in order from ``old``; renames are followed
    through them (and matched oldest to newest when ``old`` is the newer release)."""
    _check_known(old, new, section)
    old_ids = {s.id: s for s in old.sections}
    new_ids = {s.id: s for s in new.sections}
    followed = bool(between) or old.release > new.release  # several steps, or walking back
    chains = chained_renames([old, *between, new]) if followed else []
    chained = {c.from_id: c for c in chains}
    renamed_ids = {o: c.to_id for o, c in chained.items()} | match_renamed_ids(
        [s for s in old.sections if s.id not in new_ids and s.id not in chained],
        [s for s in new.sections if s.id not in old_ids and s.id not in _targets(chained)],
    )
    where = {o: list(c.releases) for o, c in chained.items()}
    mapping = {sid: sid for sid in old_ids if sid in new_ids} | renamed_ids
    keep = _related(section, mapping)
    pairs = [(old_ids[o], new_ids[n]) for o, n in mapping.items() if keep(o) or keep(n)]
    diff = ReleaseDiff.model_validate(
        {
            "from": old.release,
            "to": new.release,
            "section": section,
            "backwards": old.release > new.release,
            "added": [s.id for s in new.sections if s.id not in mapping.values() and keep(s.id)],
            "removed": [s.id for s in old.sections if s.id not in mapping and keep(s.id)],
            "renamed": _renames(pairs, where if followed else None, new.release),
            "changed": [n.id for o, n in pairs if _text_changed(o, n)],
            "authority_changed": _authority_changes(pairs),
            "examples": _filter_keys(example_changes(old, new, mapping), keep),
        }
    )
    diff.changes = [_section_change(diff, o, n) for o, n in pairs if _text_changed(o, n)]
    return diff


def _targets(chained: dict[str, IdRename]) -> set[str]:
    return {c.to_id for c in chained.values()}


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


def _text_changed(old: Section, new: Section) -> bool:
    return squash(_section_text(old)) != squash(_section_text(new))


def _renames(
    pairs: Sequence[tuple[Section, Section]], where: dict[str, list[str]] | None, release: str
) -> list[RenamedSection]:
    """``where``: the releases of the id renames followed through a span (None: ``old`` and
    ``new`` are adjacent, and an id rename happened in ``release``)."""
    return [
        RenamedSection(
            from_id=o.id,
            to_id=n.id,
            from_title=o.title,
            to_title=n.title,
            kind="id" if o.id != n.id else "title",
            renamed_in=([release] if where is None else where.get(o.id, []))
            if o.id != n.id
            else [],
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
        summary=joined([*parts, *summary_parts(diff, new.id)]),
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


def joined(parts: Iterable[str]) -> str:
    return "; ".join(part for part in parts if part)


def summary_parts(diff: ReleaseDiff, section_id: str) -> list[str]:
    """Summary parts other than text: renames, authority and examples of one section."""
    parts = [
        rename_summary(r, diff.to_release)
        for r in diff.renamed
        if section_id in (r.from_id, r.to_id)
    ]
    parts += [
        f"authority: {a.from_authority} -> {a.to_authority}"
        for a in diff.authority_changed
        if a.section_id == section_id
    ]
    if section_id in diff.examples:
        parts.append(examples_summary(diff.examples[section_id]))
    return parts


def examples_summary(change: ExampleChanges) -> str:
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
    if squash(old) == squash(new):
        return ""
    counts = [
        (sum(1 for e in edits if e.removed and e.added), "changed"),
        (sum(1 for e in edits if e.added and not e.removed), "added"),
        (sum(1 for e in edits if e.removed and not e.added), "removed"),
    ]
    return f"{name}: " + (_counted("sentence", counts) or "spacing changed")


def _unified(old: str, new: str, old_name: str, new_name: str) -> str:
    if squash(old) == squash(new):
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
