"""Questions that ask which sections sit at an authority level ("Which sections are root-level?",
"List the guideline-level defaults", "How many rules are at system level in the February 2025
spec?"), answered from the release's structure: every section at that level, titled and linked.
No model involved, and nothing retrieved: the list is the release's own.

A release before 2025-09-12 names no root or system level; its "platform" level is the older name
for both, and a question about either is answered with it, saying so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from server.domain.answering.authority import authority_meaning
from server.domain.releases.change_questions import named_releases
from server.domain.retrieval.corpus import Corpus
from server.domain.schemas import Answer, from_the_spec_structure, section_citation, section_url
from specqa.core.spec import Section

__all__ = ["LEVELS", "LEVEL_WORDS", "LevelListing", "asked_levels", "levels_named"]

LEVELS = ("root", "system", "platform", "developer", "user", "guideline")
_OLDER_NAME = "platform"  # before root and system were told apart
# a request for a list or a count, of sections, at a level named as such: not "Is "Do not lie" a
# user-level rule?" (one section's level) nor "Can a developer override a root-level rule?"
_LISTED = r"(?:sections|rules|principles|parts|defaults|guidelines|ones)\b"
_LIST_REQUEST = re.compile(
    r"^\W*(?:(?:can you|could you|please)\s+)*(?:list|show(?:\s+me)?|name|give(?:\s+me)?|"
    rf"enumerate|count)\b[^?]*\b{_LISTED}|"
    rf"^\W*(?:which|what|how many)\s+(?:[\w,-]+\s+){{0,3}}?{_LISTED}|"
    rf"^\W*what\s+are\s+(?:all\s+)?(?:the\s+)?(?:[\w,-]+\s+){{0,4}}?{_LISTED}",
    re.IGNORECASE,
)
_NAME = r"(?:root|system|platform|developer|user|guideline)"
# a level named as such, or a run of them: "root-level", "root- and system-level", "developer,
# user or guideline level"
_LEVELS_RUN = re.compile(
    rf"\b((?:{_NAME}-?\s*(?:,|and|or|&)\s*)*{_NAME})"
    # "root-level", "root authority", "guideline sections"; or "authority root", "with
    # authority of guideline"
    rf"(?:[- ]level\b|\s+authority\b|(?=\s+(?:sections|rules|principles|defaults)\b))"
    rf"|\bauthority(?:\s+level)?(?:\s+of)?\s+({_NAME})\b",
    re.IGNORECASE,
)
_LEVEL_NAME = re.compile(_NAME, re.IGNORECASE)
# the words that name levels, or each level ("per authority level"), in a count of examples
LEVEL_WORDS = re.compile(
    rf"{_LEVELS_RUN.pattern}|\b(?:(?:at|for|in|on)\s+)?(?:each|every|per|by|all)\s+"
    r"(?:authority\s+)?levels?(?:\s+of\s+authority)?\b|\bby\s+authority\b|\b(?:at|for|in)\b",
    re.IGNORECASE,
)
# the levels themselves: "How many authority levels did 2025-02-12 define?", "List the levels of
# authority"
_ALL_LEVELS = re.compile(
    r"^\W*(?:(?:can you|could you|please)\s+)*(?:how many|list|name|what are|which are|"
    r"enumerate|show(?:\s+me)?)\b[^?]*\b(?:authority levels|levels of authority)\b",
    re.IGNORECASE,
)
_LEVELS_SECTION = "levels_of_authority"


def levels_named(question: str) -> list[str]:
    """The authority levels ``question`` names as such ("root-level", "guideline sections"), in
    the spec's order."""
    named = {
        name.lower()
        for runs in _LEVELS_RUN.findall(question)
        for run in runs
        for name in _LEVEL_NAME.findall(run)
    }
    return [level for level in LEVELS if level in named]


def asked_levels(question: str) -> list[str]:
    """The authority levels whose sections ``question`` asks to list or count, in the spec's
    order; empty for any other question."""
    return levels_named(question) if _LIST_REQUEST.search(question) else []


class LevelListing:
    """Answers "which sections are at level X?" from a release's parsed sections."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self.corpus = corpus

    def answer(self, question: str, release: str | None) -> Answer | None:
        levels = asked_levels(question)
        overview = not levels and _ALL_LEVELS.search(question) is not None
        if not levels and not overview:
            return None
        started = time.perf_counter()
        corpus = self.corpus()
        named = sorted(named_releases(question, corpus.names))
        target = named[-1] if named else corpus.get(release).release
        parsed = corpus.get(target).parsed
        sections = parsed.sections
        if overview:  # every level the release places a section at, without the lists
            levels = [level for level in LEVELS if any(s.authority == level for s in sections)]
        lines = (
            [f"{target} places its sections at {len(levels)} authority levels:"] if overview else []
        )
        listed: list[Section] = []
        for level in _as_the_release_names_them(levels, sections):
            found = [s for s in sections if s.authority == level]
            if overview:
                lines.append(f"- {_level_head(level, levels, found, target)}")
                continue
            listed += found
            lines += _level_lines(level, levels, found, target)
        if overview:
            lines.append("")
            listed = [s for s in (parsed.section(_LEVELS_SECTION),) if s is not None]
            ordering = _spec_ordering(sections)
            if ordering is not None:  # the spec's own list: it ends with what has no authority
                where, quoted = ordering
                link = f"[{where.title}]({section_url(target, where.id)})"
                lines += [f"The spec's own ordering ({link}, `{where.id}`):", *quoted, ""]
                listed.append(where)
        lines.append(f"*From the structure of release {target}; no model wrote this.*")
        citations = [section_citation(target, section) for section in listed]
        text = "\n".join(lines).strip()
        return from_the_spec_structure(question, target, text, started, citations)


_ORDERING_ITEM = re.compile(
    r"^\d+\.\s+[*_]{1,2}(?:Root|Platform|System|Developer|User|Guideline|No Authority)[*_]{1,2}:"
)


def _spec_ordering(sections: list[Section]) -> tuple[Section, list[str]] | None:
    """The numbered list of authority levels as a section of the release writes it ("1. **Root**:
    …" to "6. *No Authority*: …"), quoted line by line, and that section."""
    for section in sections:
        items = [line for line in section.body.splitlines() if _ORDERING_ITEM.match(line.strip())]
        if len(items) >= 3:
            return section, [f"> {line.strip()}" for line in items]
    return None


def _as_the_release_names_them(levels: list[str], sections: list[Section]) -> list[str]:
    """``levels``, with root and system as "platform" in a release that has only that name."""
    has = {s.authority for s in sections}
    named = [
        _OLDER_NAME
        if level in ("root", "system") and level not in has and _OLDER_NAME in has
        else level
        for level in levels
    ]
    return list(dict.fromkeys(named))


def _level_head(level: str, asked: list[str], found: list[Section], release: str) -> str:
    meaning = authority_meaning(level).split(": ", 1)[1]
    count = f"{len(found)} section{'' if len(found) == 1 else 's'}"
    head = f"**{level.capitalize()} level** in {release} ({meaning}): {count}."
    if level == _OLDER_NAME and _OLDER_NAME not in asked:
        head += f" {release} names no root or system level: platform is the older name for both."
    return head


def _level_lines(level: str, asked: list[str], found: list[Section], release: str) -> list[str]:
    bullets = [f"- [{s.title}]({section_url(release, s.id)}) (`{s.id}`)" for s in found]
    return [_level_head(level, asked, found, release), *bullets, ""]
