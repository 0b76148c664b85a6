"""An example's history asked by its title ("When was the example 'prominent signs of mania'
added?", "In which releases is the example "probing for privileged information"?"): the releases
that have an example of that title, under which section and id, and when it came, went or
changed. An example's id is its place in its section, so it moves between releases; its title is
what a reader names it by. A change question about a section is answered from the diffs
(``change_answers``); one that quotes no example's title is not this one's."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from itertools import pairwise

from server.domain.answering.release_note import span_diff
from server.domain.releases.example_diff import describe_reply
from server.domain.retrieval.corpus import Corpus
from server.domain.schemas import Answer, from_the_spec_structure, section_citation
from specqa.core.spec import Example

__all__ = ["ExampleHistory"]

_EXAMPLE = re.compile(r"\bexamples?\b", re.IGNORECASE)
_ASKS_HISTORY = re.compile(
    r"\b(?:added|removed|dropped|deleted|introduced|appear\w*|c[ao]me in|when|since|changed|"
    r"edited|reworded|still|which releases?|what releases?|history|ever)\b",
    re.IGNORECASE,
)
# a title in double quotes, or in single ones that an apostrophe inside a word does not close
_QUOTED = re.compile(r"[\"“]([^\"”]{4,200})[\"”]|(?<![A-Za-z])['‘](.{4,200}?)['’](?![A-Za-z])")
_PART_OF_TITLE = 12  # a quoted part of a title this long names it ("probing for privileged")


class ExampleHistory:
    """Answers "when was the example '…' added / removed / changed?" from every release."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self.corpus = corpus

    def answer(self, question: str) -> Answer | None:
        if not (_EXAMPLE.search(question) and _ASKS_HISTORY.search(question)):
            return None
        quoted = [" ".join((a or b).lower().split()) for a, b in _QUOTED.findall(question)]
        if not quoted:
            return None
        started = time.perf_counter()
        corpus = self.corpus()
        found = {
            name: [e for e in corpus.get(name).parsed.examples if _named(e, quoted)]
            for name in corpus.names
        }
        titles = list(dict.fromkeys(e.title for examples in found.values() for e in examples))
        if not titles:
            return None
        lines = [line for title in titles for line in _story(title, found, corpus)]
        newest = next(name for name in reversed(corpus.names) if found[name])
        cited = dict.fromkeys(e.section_id for e in found[newest])
        lines.append("*From the examples of every indexed release; no model wrote this.*")
        citations = [
            section_citation(newest, corpus.get(newest).section(section_id)) for section_id in cited
        ]
        return from_the_spec_structure(question, newest, "\n".join(lines), started, citations)


def _named(example: Example, quoted: list[str]) -> bool:
    title = " ".join(example.title.lower().split())
    return any(q == title or (len(q) >= _PART_OF_TITLE and q in title) for q in quoted)


def _story(title: str, found: dict[str, list[Example]], corpus: Corpus) -> list[str]:
    """Where an example of ``title`` is in each release, and when it came, went or changed (how
    its replies did, from the diff of its section)."""
    names = corpus.names
    held = {name: next((e for e in found[name] if e.title == title), None) for name in names}
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
        elif old is not None and new is not None and _content(old) != _content(new):
            lines.append(f"- changed in {after} (from {before})")
            lines += _reply_changes(corpus, before, after, new)
    return [*lines, ""]


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


def _content(example: Example) -> object:
    """What an example says, without its place: its turns and labelled replies."""
    return [step.model_dump() for step in example.steps]
