"""One section across the indexed releases: where it is, under which ids (renames followed), and
what changed in each release."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import Field

from server.domain.releases.diff import diff_releases, joined, summary_parts
from server.domain.releases.diff_types import DiffModel, ReleaseDiff
from server.domain.releases.renames import renamed_ids
from server.domain.releases.text_diff import SentenceEdit
from specqa.core.errors import UnknownSectionError
from specqa.core.names import did_you_mean
from specqa.core.spec import ParsedRelease, Section

__all__ = ["HistoryEvent", "SectionHistory", "section_history"]

EventKind = Literal[
    "present", "added", "removed", "changed", "renamed", "authority", "examples", "unchanged"
]


class HistoryEvent(DiffModel):
    release: str
    kind: EventKind
    summary: str
    sentences: list[SentenceEdit] = Field(default_factory=list)


class SectionHistory(DiffModel):
    section_id: str
    present_in: list[str] = Field(description="Releases holding the section, under any of its ids")
    ids: dict[str, str] = Field(
        default_factory=dict, description="Release -> the section's id there (renames followed)"
    )
    events: list[HistoryEvent]


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
    renames = renamed_ids(old, new)  # the same step a diff across several releases follows
    if backwards:
        earlier = [o for o, n in renames.items() if n == known]
        return {old.release: earlier[0]} if earlier else {}
    return {new.release: renames[known]} if known in renames else {}


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
        summary = joined([f"removed (last in {old.release})", *summary_parts(diff, section_id)])
    elif diff.changes:
        summary, sentences = diff.changes[0].summary, diff.changes[0].sentences
    else:
        summary = joined(summary_parts(diff, diff.renamed[0].to_id if diff.renamed else section_id))
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
