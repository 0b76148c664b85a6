"""An example's history asked by its title ("When was the example 'prominent signs of mania'
added?", "In which releases is the example "probing for privileged information"?"): the releases
that have an example of that title, under which section and id, and when it came, went or
changed. An example's id is its place in its section, so it moves between releases; its title is
what a reader names it by. A change question about a section is answered from the diffs
(``change_answers``); one that neither quotes an example's title nor describes one by its words
("the example about the tooth fairy", "the bomb volume examples") is not this one's."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial
from itertools import pairwise

from server.domain.answering.release_note import span_diff
from server.domain.releases.example_diff import (
    describe_reply,
    folded_title,
    match_examples,
    same_content,
)
from server.domain.retrieval.corpus import Corpus, lexical_tokens
from server.domain.retrieval.query_cues import example_description
from server.domain.schemas import Answer, from_the_spec_structure, section_citation
from specqa.core.memo import IndexMemo
from specqa.core.spec import Example, ParsedRelease

__all__ = ["ExampleHistory"]

_EXAMPLE = re.compile(r"\bexamples?\b", re.IGNORECASE)
_ASKS_HISTORY = re.compile(
    r"\b(?:added|removed|dropped|deleted|introduced|appear\w*|c[ao]me in|when|since|changed|"
    r"edited|reworded|still|which releases?|what releases?|history|ever|"
    # "What happened to the example '…'?", "Where did it go?", "Is it gone?"
    r"happened|moved|go|gone|went|become|became|exists?|renamed|retitled)\b",
    re.IGNORECASE,
)
# a title in double quotes, or in single ones that an apostrophe inside a word does not close
_QUOTED = re.compile(r"[\"“]([^\"”]{4,200})[\"”]|(?<![A-Za-z])['‘](.{4,200}?)['’](?![A-Za-z])")
_PART_OF_TITLE = 12  # a quoted part of a title this long names it ("probing for privileged")
_DESCRIBED_MAX = 3  # titles a description may name; more is a topic, not an example


class ExampleHistory:
    """Answers "when was the example '…' added / removed / changed?" from every release."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self.corpus = corpus
        # how the diff pairs two releases' examples: 40 ms for the four pairs, the same every time
        self._pairs: IndexMemo[tuple[str, str], list[tuple[Example, Example]]] = IndexMemo(64)

    def answer(self, question: str) -> Answer | None:
        if not (_EXAMPLE.search(question) and _ASKS_HISTORY.search(question)):
            return None
        quoted = [folded_title(a or b) for a, b in _QUOTED.findall(question)]
        started = time.perf_counter()
        corpus = self.corpus()
        releases = [corpus.get(name).parsed for name in corpus.names]
        if quoted:
            named = [[e for e in r.examples if _named(e, quoted)] for r in releases]
        else:
            named = _described(question, releases)
        if not any(named):
            return None
        paired = [
            self._pairs.get(
                corpus.manifest.collection,
                (a.release, b.release),
                partial(match_examples, a.examples, b.examples),
            )
            for a, b in pairwise(releases)
        ]
        chains = _chains(releases, named, paired)
        lines = [line for chain in chains for line in _story(chain, releases, corpus)]
        newest = max(
            (r.release for chain in chains for r, e in zip(releases, chain, strict=True) if e),
        )
        cited = dict.fromkeys(
            e.section_id
            for chain in chains
            for r, e in zip(releases, chain, strict=True)
            if e is not None and r.release == newest
        )
        lines.append("*From the examples of every indexed release; no model wrote this.*")
        citations = [
            section_citation(newest, corpus.get(newest).section(section_id)) for section_id in cited
        ]
        return from_the_spec_structure(question, newest, "\n".join(lines), started, citations)


def _named(example: Example, quoted: list[str]) -> bool:
    title = folded_title(example.title)
    return any(q == title or (len(q) >= _PART_OF_TITLE and q in title) for q in quoted)


def _described(question: str, releases: list[ParsedRelease]) -> list[list[Example]]:
    """Each release's examples whose title has every word the question describes an example
    by ("the example about a bomb's volume": both examples on a bomb's volume), when at most
    ``_DESCRIBED_MAX`` examples of a release have them all."""
    words = set(lexical_tokens([example_description(question) or ""])[0])
    if not words:
        return [[] for _ in releases]
    named = [
        [e for e in r.examples if words <= set(lexical_tokens([e.title])[0])] for r in releases
    ]
    # in any one release: a retitled example is one example with two titles
    return named if max(map(len, named)) <= _DESCRIBED_MAX else [[] for _ in releases]


Chain = tuple[Example | None, ...]  # one example through the releases, oldest first


def _chains(
    releases: list[ParsedRelease],
    named: list[list[Example]],
    paired: list[list[tuple[Example, Example]]],
) -> list[Chain]:
    """Each named example followed through every release as the diff pairs examples (``paired``,
    per pair of releases in turn: by content, so a retitled example, or one whose section was
    renamed, is the same example)."""
    forward = [{id(old): new for old, new in pairs} for pairs in paired]
    backward = [{id(new): old for old, new in pairs} for pairs in paired]
    chains: dict[tuple[int, ...], Chain] = {}
    for at, examples in enumerate(named):
        for example in examples:
            chain: list[Example | None] = [None] * len(releases)
            chain[at] = example
            for i in range(at, len(releases) - 1):
                chain[i + 1] = _linked(forward[i], chain[i])
            for i in range(at, 0, -1):
                chain[i - 1] = _linked(backward[i - 1], chain[i])
            chains.setdefault(tuple(id(e) for e in chain), tuple(chain))
    return list(chains.values())


def _linked(links: dict[int, Example], example: Example | None) -> Example | None:
    return links.get(id(example)) if example is not None else None


def _story(chain: Chain, releases: list[ParsedRelease], corpus: Corpus) -> list[str]:
    """Where the example is in each release, and when it came, went, was retitled, moved or
    changed (how its replies did, from the diff of its section)."""
    names = [r.release for r in releases]
    held = dict(zip(names, chain, strict=True))
    title = next(e.title for e in reversed(chain) if e is not None)
    where = ", ".join(f"{name} (`{e.id}`)" for name, e in held.items() if e is not None)
    lines = [f"**Example “{title}”**: in {where}."]
    if held[names[0]] is not None:
        lines.append(f"- present since the first indexed release ({names[0]})")
    for before, after in pairwise(names):
        old, new = held[before], held[after]
        if old is None and new is not None:
            lines.append(f"- added in {after} (not in {before}), in `{new.section_id}`")
        elif old is not None and new is None:
            lines.append(f"- removed in {after} (last in {before}), from `{old.section_id}`")
        elif old is not None and new is not None:
            lines += _kept(old, new, before, after, corpus)
    return [*lines, ""]


def _kept(old: Example, new: Example, before: str, after: str, corpus: Corpus) -> list[str]:
    """What changed in an example that both releases have (nothing when only the way its dashes
    or quotes are written did)."""
    lines = []
    if folded_title(old.title) != folded_title(new.title):
        lines.append(f"- retitled in {after}: “{old.title}” → “{new.title}”")
    if old.section_id != new.section_id:
        lines.append(f"- under `{new.section_id}` from {after} (was `{old.section_id}`)")
    if not same_content(old, new, with_title=False):
        lines.append(f"- changed in {after} (from {before})")
        lines += _reply_changes(corpus, before, after, new)
    return lines


def _reply_changes(corpus: Corpus, before: str, after: str, example: Example) -> list[str]:
    """How the example's replies changed from ``before`` to ``after``, as its section's diff has
    it (nothing when only its turns did)."""
    diff = span_diff(corpus, before, after, example.section_id)
    changes = diff.examples.get(example.section_id)
    replies = [
        r
        for e in (changes.replies if changes else [])
        if e.title == example.title
        for r in e.replies
    ]
    return [f"  - {describe_reply(reply)}" for reply in replies]
