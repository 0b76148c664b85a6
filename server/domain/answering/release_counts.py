"""How many sections a release has, and how releases compare in their sections or examples ("How
many sections does the spec have?", "How many examples did the February 2025 release have
compared with the December one?"), read off the releases' structure: no model, nothing retrieved.

The other counts are answered elsewhere: one release's examples (of a section, by label) by
:mod:`~server.domain.answering.label_listing`, the sections at an authority level by
:mod:`~server.domain.answering.level_listing`. A count about a topic ("How many rules cover
privacy?") asks a question of the spec, not of its structure, and is left to retrieval.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from server.domain.answering.level_listing import LEVELS, asked_levels
from server.domain.answering.release_note import span_diff
from server.domain.releases.change_questions import (
    CHANGE_KIND_WORDS,
    MONTH_WORDS,
    NEWEST_WORDS,
    asks_of_additions_or_removals,
    named_releases,
)
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.query_cues import asked_label
from server.domain.schemas import Answer, from_the_spec_structure
from specqa.core.spec import ParsedRelease

__all__ = ["ReleaseCounts"]

_COUNT = re.compile(
    r"\b(?:how many|number of|count)\b(?:\s+[\w-]+){0,3}?\s+"
    r"(?P<what>sections?|rules?|examples?|precedents?)\b",
    re.IGNORECASE,
)
# the words of a count and of the releases it names: whatever else a question says is a topic
_COUNT_WORDS = re.compile(
    rf"\b(?:how|many|number|of|count|counts|total|altogether|in|all|sections?|rules?|examples?|"
    r"precedents?|labell?ed|replies|good|bad|ok|does|do|did|has|have|had|is|are|was|were|"
    r"there|the|a|an|spec|specs|model|openai'?s?|release|releases|version|versions|document|"
    r"compared?|comparison|with|to|than|vs|versus|and|between|from|more|fewer|less|one|ones|"
    r"it|its|each|every|per|across|indexed|grow|grew|go|went|up|down|since|by|now|today|"
    rf"{CHANGE_KIND_WORDS}|"
    rf"{NEWEST_WORDS}|{MONTH_WORDS}|\d{{4}}(?:-\d{{2}}-\d{{2}})?)\b",
    re.IGNORECASE,
)

# "How many examples were there in each release?": every indexed release
_EVERY_RELEASE = re.compile(
    r"\b(?:each|every|all|per|across)\s+(?:the\s+)?(?:indexed\s+)?(?:releases?|versions?)\b",
    re.IGNORECASE,
)


class ReleaseCounts:
    """Answers a count of sections, or a count of examples across two or more releases."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self.corpus = corpus

    def answer(self, question: str, release: str | None) -> Answer | None:
        counted = _COUNT.search(question)
        if counted is None or asked_levels(question):
            return None
        if re.search(r"\w", _COUNT_WORDS.sub(" ", question.replace("?", " "))):
            return None  # a topic to answer about
        started = time.perf_counter()
        corpus = self.corpus()
        every = _EVERY_RELEASE.search(question) is not None
        releases = list(corpus.names) if every else sorted(named_releases(question, corpus.names))
        examples = counted["what"].lower().startswith(("example", "precedent"))
        # "How many examples did the September 2025 release add?": against the release before it
        if len(releases) == 1 and asks_of_additions_or_removals(question):
            return _added_and_removed(question, corpus, releases[0], examples, started)
        if examples and len(releases) < 2:
            return None  # one release's examples: the label listing counts them
        releases = releases or [corpus.get(release).release]
        label = asked_label(question) if examples else None
        count = _example_count(label) if examples else _section_count
        parsed = [corpus.get(name).parsed for name in releases]
        noun = "sections" if not examples else "examples" + (f" labelled {label}" if label else "")
        lines = [f"**{noun[0].upper()}{noun[1:]}** in {', '.join(releases)}:", ""]
        lines += [f"- {count(one)[0]}" for one in parsed]
        if len(parsed) > 1:
            lines += ["", _compared(parsed[0], parsed[-1], count, noun)]
        where = f"release{'s' if len(parsed) > 1 else ''} {', '.join(releases)}"
        lines += ["", f"*From the structure of {where}; no model wrote this.*"]
        return from_the_spec_structure(question, releases[-1], "\n".join(lines), started)


def _added_and_removed(
    question: str, corpus: Corpus, release: str, examples: bool, started: float
) -> Answer | None:
    """What ``release`` added and removed against the release before it: sections (a renamed one
    is neither) or examples (as the diff pairs them: a retitled one is neither)."""
    before = [name for name in corpus.names if name < release]
    if not before:
        return None  # the first indexed release: the change answer says everything is new
    previous = before[-1]
    diff = span_diff(corpus, previous, release)
    old, new = corpus.get(previous).parsed, corpus.get(release).parsed
    label = asked_label(question) if examples else None
    if examples:
        # "How many BAD examples did it add?": those with a reply so labelled, in their release
        kept_old, kept_new = _labelled(old, label), _labelled(new, label)
        added = sum(t in kept_new for change in diff.examples.values() for t in change.added)
        removed = sum(t in kept_old for change in diff.examples.values() for t in change.removed)
        totals = [len(kept_old), len(kept_new)]
    else:
        added, removed = len(diff.added), len(diff.removed)
        totals = [len(old.sections), len(new.sections)]
    noun = ("example" if examples else "section") + (f" labelled {label}" if label else "")
    text = (
        f"**{release}**, against the release before it ({previous}): {added} "
        f"{noun if added == 1 else _plural(noun)} added, "
        f"{removed} removed ({totals[0]} → {totals[1]}; `specqa diff {previous} {release}` "
        f"lists them).\n\n*From the release diffs; no model wrote this.*"
    )
    return from_the_spec_structure(question, release, text, started)


def _labelled(parsed: ParsedRelease, label: str | None) -> list[str]:
    """The titles of the release's examples (with a reply labelled ``label``, if given)."""
    return [e.title for e in parsed.examples if label is None or label in e.labels]


def _plural(noun: str) -> str:
    """ "example labelled BAD" → "examples labelled BAD"."""
    first, _, rest = noun.partition(" ")
    return f"{first}s" + (f" {rest}" if rest else "")


def _section_count(parsed: ParsedRelease) -> tuple[str, int]:
    sections = parsed.sections
    levels = Counter(s.authority for s in sections if s.authority)
    by_level = ", ".join(f"{level} {levels[level]}" for level in LEVELS if level in levels)
    with_level = sum(levels.values())
    return (
        f"**{parsed.release}:** {len(sections)} sections, {with_level} of them with an authority "
        f"level ({by_level}).",
        len(sections),
    )


def _example_count(label: str | None) -> Callable[[ParsedRelease], tuple[str, int]]:
    def count(parsed: ParsedRelease) -> tuple[str, int]:
        if label is not None:
            n = sum(1 for e in parsed.examples if label in e.labels)
            return f"**{parsed.release}:** {n} examples with a reply labelled {label}.", n
        replies = Counter(r.label for e in parsed.examples for r in e.responses)
        by_label = ", ".join(f"{name} {replies[name]}" for name in ("GOOD", "BAD", "OK"))
        n = len(parsed.examples)
        return (
            f"**{parsed.release}:** {n} examples; {sum(replies.values())} replies: {by_label}.",
            n,
        )

    return count


def _compared(
    first: ParsedRelease,
    last: ParsedRelease,
    count: Callable[[ParsedRelease], tuple[str, int]],
    noun: str,
) -> str:
    """How the newest release named differs from the oldest, in the counted things."""
    before, after = count(first)[1], count(last)[1]
    if before == after:
        return f"{last.release} has as many {noun} as {first.release} ({after})."
    more = "more" if after > before else "fewer"
    return f"{last.release} has {abs(after - before)} {more} {noun} than {first.release}."
