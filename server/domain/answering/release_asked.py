"""A question that names the release it asks about ("Will it help me pick a lock in the
2025-02-12 release?", "…under the February 2025 version of the spec?", "what did the October
release say about lying?") is answered in that release, whatever release the request named: the
web page always sends the one its menu shows, and the words are the user's latest say.

Only a release named *as a release* counts: a date, a month (with or without its year) or
"newest" beside "release", "version" or "spec". "What happened in February 2025?" names no release.
The phrase is taken out of what is searched ("the spec" stands in for it where the sentence
needs a subject), since it says which text to search, not what to find in it; without it, "the
April release say about white lies" drew the section on topics off limits. "The first (oldest,
earliest) release" is the oldest indexed, "the previous (prior) release" the one before the
newest. A date or month that is no indexed
release ("…in the 2024-01-01 release?", "the March release") is said in a notice, and the
request's release answers. A follow-up stays in the release its conversation last named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from server.domain.releases.change_questions import (
    MONTH_WORDS,
    NEWEST_WORDS,
    month_releases,
    named_releases,
)
from server.domain.retrieval.follow_up import leans_on_history

__all__ = ["ReleaseAsked", "release_asked", "release_of_turn"]

_DATED = rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|(?:{MONTH_WORDS})\b\.?(?:\s+\d{{4}})?)"
_NAME = rf"(?:{_DATED}|{NEWEST_WORDS}|first|oldest|earliest|original|previous|prior)"
# a product's version or release is not the spec's ("the latest version of android", "the first
# release notes"), unless it is said to be the spec's
_NOT_THE_SPECS = (
    r"(?!\s+(?:notes?|dates?|candidates?|of\s+(?!the\s+(?:model\s+)?spec|\d{4}-\d{2}-\d{2})))"
)
_SPEC = (
    r"(?:(?:indexed|published)\s+)?(?P<word>model\s+spec|spec|(?:release|version)"
    rf"(?:\s+of\s+the\s+(?:model\s+)?spec)?{_NOT_THE_SPECS})"
)
_LEADS = r"[,;]?\s*\b(?:in|under|per|for|from|as\s+of|according\s+to)\s+(?:the\s+)?"
# Each way of naming a release, and what the phrase becomes in the text searched: nothing when a
# preposition leads it ("in the 2025-02-12 release"), else "the spec" ("what did the October
# release say about…", "Does the Model Spec from 2025-09-12 let…"). Without a preposition only a
# date or a month names a release, or "newest" beside "spec": "the latest release is delayed" is
# anyone's.
_WAYS = (
    (re.compile(rf"{_LEADS}(?P<name>{_NAME})\s+{_SPEC}\b", re.IGNORECASE), ""),
    (
        re.compile(
            rf"{_LEADS}{_SPEC}\s+(?:of\s+|from\s+|dated\s+)?(?P<name>{_NAME})\b", re.IGNORECASE
        ),
        "",
    ),
    (
        re.compile(
            rf"\b(?:the\s+)?{_SPEC}\s+(?:of|from|dated)\s+(?P<name>{_NAME})\b", re.IGNORECASE
        ),
        "the spec",
    ),
    (re.compile(rf"\b(?:the\s+)?(?P<name>{_NAME})\s+{_SPEC}\b", re.IGNORECASE), "the spec"),
)
_OLDEST = re.compile(r"first|oldest|earliest|original", re.IGNORECASE)
_BEFORE_NEWEST = re.compile(r"previous|prior", re.IGNORECASE)
# "the previous version" is any product's; "the previous release" or "spec" is the spec's
_ANY_PRODUCTS = re.compile(r"version", re.IGNORECASE)
# …and so is a release that says something: "What did the first release say about…?"
_SAYS = re.compile(r"\s+(?:say|says|said)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReleaseAsked:
    """The release a question names (None: it names a date no indexed release has, which
    ``unindexed`` holds), and the question without the phrase that names it."""

    release: str | None
    question: str
    unindexed: tuple[str, ...] = ()


def release_asked(question: str, known: list[str]) -> ReleaseAsked | None:
    """The one release ``question`` names as a release, or None (none, or several)."""
    for pattern, becomes in _WAYS:
        led = not becomes
        found = [m for m in pattern.finditer(question) if _names_the_specs(m, led, question)]
        releases = set().union(*(_releases_named(m["name"], known) for m in found))
        dates = {m["name"] for m in found if _is_no_release(m["name"], known)}
        if not releases and not dates:
            continue
        if len(releases) + len(dates) != 1:
            return None
        rest = _tidy(pattern.sub(f" {becomes} " if becomes else " ", question)) or question
        if dates:
            return ReleaseAsked(None, rest, unindexed=(dates.pop(),))
        return ReleaseAsked(releases.pop(), rest)
    return None


def release_of_turn(
    asked: str, history: list[str], requested: str | None, known: list[str]
) -> ReleaseAsked:
    """The release a turn is answered from: the one it names; else, for a follow-up, the one its
    conversation last named (back to the question it leans on: "and for kids?" after "…in the
    2025-02-12 release?" stays there); else the one the request named."""
    named = release_asked(asked, known)
    if named is not None:
        return replace(named, release=named.release or requested)
    if history and leans_on_history(asked):
        for turn in reversed(history):
            earlier = release_asked(turn, known)
            if earlier is not None and earlier.release is not None:
                return ReleaseAsked(earlier.release, asked)
            if not leans_on_history(turn):
                break
    return ReleaseAsked(requested, asked)


def _is_no_release(name: str, known: list[str]) -> bool:
    """Whether ``name`` is a date or a month no indexed release has ("the March release")."""
    dated = re.fullmatch(_DATED, name, re.IGNORECASE) is not None
    return dated and not _releases_named(name, known)


def _names_the_specs(match: re.Match[str], led: bool, question: str) -> bool:
    """Whether ``match`` (in ``question``) names a release of the spec, not any product's ("the
    previous version", "the latest release is delayed")."""
    name, word = match["name"], match["word"].lower()
    if "spec" in word or re.fullmatch(_DATED, name, re.IGNORECASE):
        return True
    relative = _OLDEST.fullmatch(name) or _BEFORE_NEWEST.fullmatch(name)
    if relative and _SAYS.match(question, match.end()):
        return True
    return led and not (relative and _ANY_PRODUCTS.fullmatch(word))


def _releases_named(name: str, known: list[str]) -> set[str]:
    """The releases ``name`` names: by a month alone ("the Feb release"), by date, month and
    year or "newest" (as a change question names them), or as the oldest or the one before the
    newest."""
    ordered = sorted(known)
    if _OLDEST.fullmatch(name):
        return set(ordered[:1])
    if _BEFORE_NEWEST.fullmatch(name):
        return set(ordered[-2:-1])
    return month_releases(name, known) or named_releases(name, known)


def _tidy(text: str) -> str:
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip(" ,;")
