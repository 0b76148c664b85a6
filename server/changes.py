"""Questions about change ("what changed about honesty in the December 2025 release?", "when was
the under-18 guidance added?") answered from release diffs, and the one-line note an answer gets
when its governing section changed after the release it was answered from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.corpus import Corpus
from server.diff import diff_releases, section_history

__all__ = ["ChangeQuestion", "parse_change_question", "release_note"]

_CHANGE_WORDS = re.compile(
    r"\b(what(?:'s| has| have)? changed|changes? (?:to|in|about)|what(?:'s| is) new|"
    r"when (?:was|were|did)\b.*\b(?:added|introduced|removed|dropped|changed|renamed)|"
    r"(?:was|were|got) (?:added|introduced|removed|dropped|renamed)|how has .* changed|"
    r"differ(?:ence|ent)? between|history of|diff\b)",
    re.IGNORECASE,
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_FILLER = re.compile(
    r"\b(what|whats|has|have|changed|change|changes|when|was|were|did|added|introduced|removed|"
    r"dropped|renamed|new|in|the|about|to|release|version|spec|model|of|between|and|how|is|"
    r"difference|history|diff|since|on|for|with|guidance|section|rules?|"
    + "|".join(_MONTHS)
    + r"|\d{4}(?:-\d{2}-\d{2})?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChangeQuestion:
    topic: str
    releases: list[str]  # releases the question names, oldest first (may be empty)


def parse_change_question(question: str, known: list[str]) -> ChangeQuestion | None:
    """A change question's topic and named releases, or None for an ordinary question."""
    if not _CHANGE_WORDS.search(question):
        return None
    named = {r for r in _ISO.findall(question) if r in known}
    for month, year in _MONTH_YEAR.findall(question):
        prefix = f"{year}-{_MONTHS[month.lower()]:02d}"
        named |= {r for r in known if r.startswith(prefix)}
    topic = " ".join(_FILLER.sub(" ", re.sub(r"[^\w\s-]", " ", question)).split())
    return ChangeQuestion(topic=topic or question, releases=sorted(named))


def release_note(corpus: Corpus, release: str, section_id: str) -> str | None:
    """One line when ``section_id`` changed between ``release`` and the newest indexed release."""
    newest = corpus.newest
    if release == newest:
        return None
    old, new = corpus.get(release).parsed, corpus.get(newest).parsed
    if old.section(section_id) is None or new.section(section_id) is None:
        return None
    diff = diff_releases(old, new, section_id)
    if not (diff.changed or diff.authority_changed or diff.examples or diff.renamed):
        return None
    what = ", ".join(
        part
        for part, present in (
            ("text", diff.changed),
            ("authority", diff.authority_changed),
            ("examples", diff.examples),
            ("title", diff.renamed),
        )
        if present
    )
    link = f"/v1/diff?from={release}&to={newest}&section={section_id}"
    return (
        f"`{section_id}` changed ({what}) between {release} and {newest}: see [the diff]({link})."
    )


def history_lines(corpus: Corpus, section_id: str) -> list[str]:
    """One line per release that changed the section (its presence in the oldest is no change)."""
    history = section_history([corpus.get(name).parsed for name in corpus.names], section_id)
    return [
        f"- **{event.release}** ({event.kind}): {event.summary}"
        for event in history.events
        if not (event.kind == "added" and event.release == corpus.names[0])
    ]
