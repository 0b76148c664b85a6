"""The one-line note an answer gets when its governing section changed after the release it was
answered from, and the diff between two releases that it and the change answers read (renames
followed through the releases between)."""

from __future__ import annotations

from server.domain.answering.links import Links
from server.domain.answering.service_lookups import releases_between
from server.domain.releases.diff import ReleaseDiff, diff_releases, renamed_where
from server.domain.retrieval.corpus import Corpus

__all__ = ["release_note", "span_diff"]


def release_note(corpus: Corpus, release: str, section_id: str, links: Links) -> str | None:
    """One line when ``section_id`` changed between ``release`` and the newest indexed release,
    renames followed through the releases between (a renamed section is the same section)."""
    newest = corpus.newest
    if release == newest or corpus.get(release).parsed.section(section_id) is None:
        return None
    diff = span_diff(corpus, release, newest, section_id)
    link = f"see [the diff]({links.diff(release, newest, section_id)})"
    if section_id in diff.removed:
        return f"`{section_id}` was removed after {release} (it is not in {newest}): {link}."
    parts = [f"id renamed to `{r.to_id}`{renamed_where(r)}" for r in diff.renamed if r.kind == "id"]
    parts += [
        part
        for part, present in (
            ("text", diff.changed),
            ("authority", diff.authority_changed),
            ("examples", diff.examples),
            ("title", any(r.from_title != r.to_title for r in diff.renamed)),
        )
        if present
    ]
    if not parts:
        return None
    return f"`{section_id}` changed ({', '.join(parts)}) between {release} and {newest}: {link}."


def span_diff(corpus: Corpus, old: str, new: str, section_id: str | None = None) -> ReleaseDiff:
    """The diff from ``old`` to ``new``, renames followed through the releases between."""
    between = releases_between(corpus, old, new)
    return diff_releases(corpus.get(old).parsed, corpus.get(new).parsed, section_id, between)
