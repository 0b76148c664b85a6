"""A question that names the release it asks about ("Will it help me pick a lock in the
2025-02-12 release?", "…under the February 2025 version of the spec?", "what did the October
release say about lying?") is answered in that release, whatever release the request named: the
web page always sends the one its menu shows, and the words are the user's latest say.

Only a release named *as a release* counts: a date, a month (with or without its year) or
"newest" beside "release", "version" or "spec". "What happened in February 2025?" names no release.
The phrase is taken out of what is searched when a preposition leads it ("in the … release"),
since it says which text to search, not what to find in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.domain.releases.change_questions import named_releases

__all__ = ["ReleaseAsked", "release_asked"]

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
# anywhere else: "what did the October release say …?"
_NAMED = re.compile(rf"\b(?P<name>{_NAME})\s+{_SPEC}\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReleaseAsked:
    """The release a question names, and the question without the phrase that names it."""

    release: str
    question: str


def release_asked(question: str, known: list[str]) -> ReleaseAsked | None:
    """The one indexed release ``question`` names as a release, or None (none, several, or a
    name no release has)."""
    for pattern, strip in ((_LED, True), (_LED_AFTER, True), (_NAMED, False)):
        found = [m for m in pattern.finditer(question) if named_releases(m["name"], known)]
        if not found:
            continue
        releases = set().union(*(named_releases(m["name"], known) for m in found))
        if len(releases) != 1:
            return None
        rest = pattern.sub("", question) if strip else question
        return ReleaseAsked(releases.pop(), _tidy(rest) or question)
    return None


def _tidy(text: str) -> str:
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip(" ,;")
