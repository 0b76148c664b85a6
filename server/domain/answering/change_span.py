"""Which releases a change question compares: the span it names (or the release before the one
it names, up to it), and the first release in a span where something holds (where a section was
added or removed)."""

from __future__ import annotations

from collections.abc import Callable

from server.domain.answering.service_lookups import releases_between
from server.domain.releases.change_questions import ChangeQuestion
from server.domain.retrieval.corpus import Corpus
from specqa.core.spec import ParsedRelease

__all__ = ["compared_span", "first_release_where"]


def first_release_where(
    corpus: Corpus, before: str, target: str, holds: Callable[[ParsedRelease], bool]
) -> str:
    """The first release after ``before``, up to ``target``, of which ``holds`` is true (where a
    section was added or removed: "added in 2025-09-12", not in the release asked about)."""
    after = [*releases_between(corpus, before, target), corpus.get(target).parsed]
    return next((parsed.release for parsed in after if holds(parsed)), target)


def compared_span(
    parsed: ChangeQuestion, release: str | None, corpus: Corpus
) -> tuple[str | None, str]:
    """The releases to compare: (older, newer); older is None when there is nothing before."""
    named = parsed.releases or ([release] if release else [])
    if parsed.since and named:
        return named[0], named[-1] if len(named) > 1 else corpus.newest
    target = named[-1] if named else corpus.newest
    if len(named) > 1:
        return named[0], target
    return _previous(corpus.names, target), target


def _previous(names: list[str], release: str) -> str | None:
    index = names.index(release)
    return names[index - 1] if index > 0 else None
