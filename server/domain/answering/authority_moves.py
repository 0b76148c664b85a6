"""Questions about rules moving between authority levels ("Which sections moved from platform level
down to system level, and when?", "Were any guideline-level defaults promoted to root level?"),
answered from the diff of each release with the one before: every section whose level moved so,
and the release it moved in. No model involved.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from server.domain.releases.change_questions import named_releases
from server.domain.releases.diff import diff_releases
from server.domain.releases.diff_types import AuthorityChange
from server.domain.retrieval.corpus import Corpus
from server.domain.schemas import (
    Answer,
    Citation,
    from_the_spec_structure,
    section_citation,
    section_url,
)
from specqa.core.memo import IndexMemo

__all__ = ["PLATFORM_RENAMED", "AuthorityMoves", "asked_move"]

_LEVEL = r"(root|system|platform|developer|user|guideline)"
# the releases before 2025-09-12 name one level, "platform", where the later ones have two
_OLDER_NAME = "platform"
PLATFORM_RENAMED = (
    "\nThe releases before 2025-09-12 have no root or system level: *platform* was the older "
    "name for both, so a move from platform to root or system renamed the level a section was at "
    "rather than raising or lowering it."
)
_MOVED = (
    r"(?:moved|changed|promoted|elevated|raised|upgraded|downgraded|demoted|lowered|went|gone|"
    r"became|become|turned|shifted|switched)"
)
# "moved from platform level down to system level", "went from guideline to user level"
_FROM_TO = re.compile(
    rf"\b{_MOVED}\b[^?]*?\bfrom\s+(?:the\s+)?{_LEVEL}(?:[- ]level)?\b[^?]*?\bto\s+(?:the\s+|an?\s+)?"
    rf"{_LEVEL}(?:[- ]level)?\b",
    re.IGNORECASE,
)
# "promoted to root level", "downgraded to a guideline" (and the level they came from, if named
# as the subject: "Were any guideline-level defaults promoted to root?")
_TO = re.compile(
    rf"\b{_MOVED}\s+(?:[\w-]+\s+){{0,3}}?(?:to|into)\s+(?:the\s+|an?\s+)?{_LEVEL}(?:[- ]level)?\b",
    re.IGNORECASE,
)
# "Which rules changed authority level?", "Did any section's level change?": any level to any
_ANY_MOVE = re.compile(
    r"\b(?:rules?|sections?|defaults?|principles?)\b[^?]*?\b(?:(?:moved|changed|switched)\s+"
    r"(?:their\s+|its\s+|in\s+)?(?:authority\s+)?levels?|(?:authority\s+)?levels?\s+"
    r"(?:changed?|moved?))\b",
    re.IGNORECASE,
)
_SUBJECT = re.compile(rf"\b{_LEVEL}[- ]level\s+(?:rules?|sections?|defaults?|principles?)\b", re.I)
# asked of the releases' past, as a list: not "Can a default become root-level?"
_ASKED_OF_THE_PAST = re.compile(
    r"^\W*(?:which|what|were|was|did|have|has|had|any|list|show)\b", re.IGNORECASE
)


def asked_move(question: str) -> tuple[str | None, str | None] | None:
    """(from, to) of the authority move ``question`` asks about (either may be None: any level),
    or None when it asks about none."""
    if not _ASKED_OF_THE_PAST.search(question):
        return None
    both = _FROM_TO.search(question)
    if both is not None:
        return both[1].lower(), both[2].lower()
    to = _TO.search(question)
    if to is None:
        return (None, None) if _ANY_MOVE.search(question) else None
    subject = _SUBJECT.search(question[: to.start()])
    return (subject[1].lower() if subject else None), to[1].lower()


class AuthorityMoves:
    """Answers "which sections moved from level X to level Y, and when?" from the diffs."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self.corpus = corpus
        self._moved: IndexMemo[tuple[str, str], list[AuthorityChange]] = IndexMemo()  # pure

    def _moved_between(self, corpus: Corpus, older: str, newer: str) -> list[AuthorityChange]:
        """The sections whose level changed from ``older`` to the release after it (a whole
        diff: about 0.2 s, once per index)."""

        def compute() -> list[AuthorityChange]:
            old, new = corpus.get(older).parsed, corpus.get(newer).parsed
            return diff_releases(old, new, None, []).authority_changed

        return self._moved.get(corpus.manifest.collection, (older, newer), compute)

    def answer(self, question: str) -> Answer | None:
        move = asked_move(question)
        if move is None:
            return None
        started = time.perf_counter()
        corpus = self.corpus()
        lines: list[str] = []
        citations: list[Citation] = []
        moved_from: set[str | None] = set()
        named = named_releases(question, corpus.names)  # "…in the October release": that one
        for older, newer in zip(corpus.names, corpus.names[1:], strict=False):
            if named and newer not in named:
                continue
            parsed = corpus.get(newer).parsed
            for change in self._moved_between(corpus, older, newer):
                if not _matches(move, change.from_authority, change.to_authority):
                    continue
                section = parsed.section(change.section_id)
                title = section.title if section else change.section_id
                url = section_url(newer, change.section_id)
                lines.append(
                    f"- **{newer}**: [{title}]({url}) (`{change.section_id}`): "
                    f"{change.from_authority} → {change.to_authority}"
                )
                moved_from.add(change.from_authority)
                if section is not None:
                    citations.append(section_citation(newer, section))
        asked = _described(move)
        span = (
            f"in {', '.join(sorted(named))}"
            if named
            else f"between {corpus.names[0]} and {corpus.newest}"
        )
        head = (
            f"**Sections whose authority level moved{asked}**, {span}: {len(lines)}."
            if lines
            else f"No section's authority level moved{asked} {span}."
        )
        renamed = [PLATFORM_RENAMED] if _OLDER_NAME in moved_from else []
        text = "\n".join(
            [head, *lines, *renamed, "", "*From the release diffs; no model wrote this.*"]
        )
        return from_the_spec_structure(question, corpus.newest, text, started, citations)


def _matches(move: tuple[str | None, str | None], old: str | None, new: str | None) -> bool:
    wanted_from, wanted_to = move
    return (wanted_from is None or wanted_from == old) and (wanted_to is None or wanted_to == new)


def _described(move: tuple[str | None, str | None]) -> str:
    wanted_from, wanted_to = move
    return (f" from {wanted_from}" if wanted_from else "") + (
        f" to {wanted_to}" if wanted_to else ""
    )
