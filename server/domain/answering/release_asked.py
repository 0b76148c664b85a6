"""A question that names the release it asks about ("Will it help me pick a lock in the
2025-02-12 release?", "…under the February 2025 version of the spec?", "what did the October
release say about lying?") is answered in that release, whatever release the request named: the
web page always sends the one its menu shows, and the words are the user's latest say.

Only a release named *as a release* counts: a date, a month (with or without its year) or
"newest" beside "release", "version" or "spec". "What happened in February 2025?" names no release.
The phrase is taken out of what is searched when a preposition leads it ("in the … release"),
since it says which text to search, not what to find in it. A date that is no indexed release
("…in the 2024-01-01 release?") is said in a notice, and the default release answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.domain.releases.change_questions import named_releases

__all__ = ["ReleaseAsked", "release_asked", "unindexed_notice"]

_NAME = (
    r"(?:\d{4}-\d{2}-\d{2}|(?:january|february|march|april|may|june|july|august|september|"
    r"october|november|december)(?:\s+\d{4})?|newest|latest|current|most\s+recent)"
)
# "version" alone is any product's ("the latest version of android"), unless of the spec
_SPEC = r"(?:model\s+spec|spec|release|version(?!\s+of\s+(?!the\s+(?:model\s+)?spec)))"
# "in the 2025-02-12 release", "under the February 2025 version of the spec", "as of the newest spec"
_LED = re.compile(
    rf"[,;]?\s*\b(?:in|under|per|for|from|as\s+of|according\s+to)\s+(?:the\s+)?"
    rf"(?P<name>{_NAME})\s+{_SPEC}(?:\s+of\s+the\s+(?:model\s+)?spec)?\b",
    re.IGNORECASE,
)
# "in the release of 2025-02-12", "in version 2025-02-12"
_LED_AFTER = re.compile(
    rf"[,;]?\s*\b(?:in|under|per|for|from|as\s+of|according\s+to)\s+(?:the\s+)?{_SPEC}\s+"
    rf"(?:of\s+|from\s+|dated\s+)?"
    rf"(?P<name>{_NAME})\b",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# anywhere else: "what did the October release say …?"
_NAMED = re.compile(rf"\b(?P<name>{_NAME})\s+{_SPEC}\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReleaseAsked:
    """The release a question names (None: it names a date no indexed release has, which
    ``unindexed`` holds), and the question without the phrase that names it."""

    release: str | None
    question: str
    unindexed: str | None = None


def release_asked(question: str, known: list[str]) -> ReleaseAsked | None:
    """The one release ``question`` names as a release, or None (none, or several)."""
    for pattern, strip in ((_LED, True), (_LED_AFTER, True), (_NAMED, False)):
        found = list(pattern.finditer(question))
        releases = set().union(*(named_releases(m["name"], known) for m in found))
        dates = {m["name"] for m in found if _ISO_DATE.fullmatch(m["name"])} - set(known)
        if not releases and not dates:
            continue
        if len(releases) + len(dates) != 1:
            return None
        rest = _tidy(pattern.sub("", question) if strip else question) or question
        if dates:
            return ReleaseAsked(None, rest, unindexed=dates.pop())
        return ReleaseAsked(releases.pop(), rest)
    return None


def unindexed_notice(date: str | None, answered: str, known: list[str]) -> str | None:
    """What to say when the release a question names is no indexed one (None: it is)."""
    if date is None:
        return None
    return f"{date} is not an indexed release ({', '.join(known)}): this answers from {answered}."


def _tidy(text: str) -> str:
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip(" ,;")
