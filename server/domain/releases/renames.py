"""Sections whose id changed: matched by text between two releases, and followed through the
releases in between when a diff spans several (the same chain a section's history follows).

A removed section whose text (body and commentary) mostly lives on in an added section is that
section under a new id: at least ``RENAME_KEPT`` of its words survive, in order, in the added one
(difflib matching blocks over words). A section renamed and then rewritten may keep too little
of its first text to match across many releases at once; release by release it still matches,
so :func:`chained_renames` follows it step by step.
"""

from __future__ import annotations

import difflib
import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from server.domain.releases.diff_types import RenamedSection
from specqa.core.spec import ParsedRelease, Section

__all__ = [
    "RENAME_KEPT",
    "IdRename",
    "chained_renames",
    "greedy_pairs",
    "match_renamed_ids",
    "rename_summary",
    "renamed_ids",
    "renamed_where",
    "squash",
]

RENAME_KEPT = 0.6

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class IdRename:
    """A section's id in the first and last of several releases, and where it changed."""

    from_id: str
    to_id: str
    releases: tuple[str, ...]  # the releases whose id change this is, oldest step first


def squash(text: str) -> str:
    return " ".join(text.split())


def _section_words(section: Section) -> list[str]:
    return squash("\n\n".join([section.body, *section.commentary])).split()


def renamed_ids(old: ParsedRelease, new: ParsedRelease) -> dict[str, str]:
    """Old id -> new id for the sections of ``old`` that live on in ``new`` under another id."""
    old_ids = {s.id for s in old.sections}
    new_ids = {s.id for s in new.sections}
    return match_renamed_ids(
        [s for s in old.sections if s.id not in new_ids],
        [s for s in new.sections if s.id not in old_ids],
    )


def match_renamed_ids(removed: Sequence[Section], added: Sequence[Section]) -> dict[str, str]:
    """Pair removed with added sections whose text mostly lives on (old id -> new id)."""
    words_old = [(s.id, _section_words(s)) for s in removed]
    words_new = [(s.id, _section_words(s)) for s in added]
    scored = [
        (_kept(o_words, n_words), o_id, n_id)
        for o_id, o_words in words_old
        for n_id, n_words in words_new
        if o_words and n_words
    ]
    return greedy_pairs(scored, RENAME_KEPT)


def chained_renames(releases: Sequence[ParsedRelease]) -> list[IdRename]:
    """The id renames from the first of ``releases`` to the last, followed release by release:
    a section of the first whose id is gone from the last, but which each step renamed. Steps
    are matched oldest to newest (a section that grew keeps its old words, not the reverse), so
    a diff from a newer release back to an older one follows the same renames, inverted."""
    if len(releases) < 2:
        return []
    if releases[0].release > releases[-1].release:  # release names are ISO dates
        forward = chained_renames(list(reversed(releases)))
        return [IdRename(c.to_id, c.from_id, c.releases) for c in forward]
    steps = [(new.release, renamed_ids(old, new)) for old, new in itertools.pairwise(releases)]
    first, last = releases[0], releases[-1]
    chains = []
    for section in first.sections:
        if last.section(section.id):
            continue
        current, where = section.id, []
        for release, renames in steps:
            if current in renames:
                current = renames[current]
                where.append(release)
        if current != section.id and last.section(current) and not first.section(current):
            chains.append(IdRename(section.id, current, tuple(where)))
    return chains


def renamed_where(rename: RenamedSection, to_release: str | None = None) -> str:
    """`` in 2025-09-12`` when the id changed in a release other than ``to_release`` (the newer
    release of the diff the rename is listed in), else empty."""
    if rename.renamed_in in ([], [to_release]):
        return ""
    return " in " + ", ".join(rename.renamed_in)


def rename_summary(rename: RenamedSection, to_release: str | None = None) -> str:
    """E.g. ``id renamed in 2025-09-12: a -> b`` (see :func:`renamed_where`)."""
    if rename.kind == "id":
        return f"id renamed{renamed_where(rename, to_release)}: {rename.from_id} -> {rename.to_id}"
    return f'title renamed: "{rename.from_title}" -> "{rename.to_title}"'


def greedy_pairs(scored: Iterable[tuple[float, K, K]], floor: float) -> dict[K, K]:
    """One-to-one pairs, best score first, keeping only scores of at least ``floor``."""
    pairs: dict[K, K] = {}
    taken: set[K] = set()
    for score, old, new in sorted(scored, key=lambda item: -item[0]):
        if score >= floor and old not in pairs and new not in taken:
            pairs[old] = new
            taken.add(new)
    return pairs


def _kept(old: list[str], new: list[str]) -> float:
    """The share of ``old``'s words that appear, in order, in ``new`` (0 when even the words in
    common, in any order, fall short of ``RENAME_KEPT``: the cheap bound skips the matching)."""
    common = sum((Counter(old) & Counter(new)).values())
    if common / len(old) < RENAME_KEPT:
        return 0.0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(old)
