"""Counts of a release's sections, and of sections or examples across releases, answered from
the releases' structure on the real releases."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from server.composition.components import Components


def test_how_many_sections_counts_the_newest_release_with_its_levels(parts: Components) -> None:
    newest = parts.service.corpus().get(None).parsed
    answer = parts.service.answer("How many sections does the spec have?")
    with_level = [s for s in newest.sections if s.authority]
    root = sum(1 for s in with_level if s.authority == "root")
    assert (
        f"**{newest.release}:** {len(newest.sections)} sections, {len(with_level)} of them with "
        f"an authority level (root {root}, " in answer.answer
    )
    assert answer.mode == "extractive" and answer.bottom_line is None
    assert "no model wrote this" in answer.answer


def test_two_releases_named_are_each_counted_and_compared(parts: Components) -> None:
    corpus = parts.service.corpus()
    feb, dec = corpus.get("2025-02-12").parsed, corpus.get("2025-12-18").parsed
    asked = (
        "How many sections did the February 2025 release have compared with the December 2025 one?"
    )
    answer = parts.service.answer(asked)
    assert f"**2025-02-12:** {len(feb.sections)} sections" in answer.answer
    assert f"**2025-12-18:** {len(dec.sections)} sections" in answer.answer
    grown = len(dec.sections) - len(feb.sections)
    assert f"2025-12-18 has {grown} more sections than 2025-02-12." in answer.answer
    # examples, by label too: one release's count stays the label listing's
    bad = parts.service.answer("How many BAD examples in Feb 2025 vs Dec 2025?")
    counts = [sum(1 for e in r.examples if "BAD" in e.labels) for r in (feb, dec)]
    assert bad.answer.startswith("**Examples labelled BAD** in 2025-02-12, 2025-12-18:")
    assert f"**2025-02-12:** {counts[0]} examples with a reply labelled BAD." in bad.answer
    assert f"has {counts[1] - counts[0]} more examples labelled BAD than" in bad.answer
    one = parts.service.answer("How many examples are in the latest release?")
    assert one.answer.startswith(f"**Examples in {dec.release}:** {len(dec.examples)}, ")


def test_a_count_about_a_topic_is_answered_from_the_spec_not_its_structure(
    parts: Components,
) -> None:
    answer = parts.service.answer("How many rules cover privacy?")
    assert answer.bottom_line is not None and answer.citations
    assert "sections, " not in answer.answer.split("\n")[0]


def test_what_one_release_added_is_counted_against_the_release_before_it(
    parts: Components,
) -> None:
    """It listed the sections whose examples changed, with no number."""
    answer = parts.service.answer("How many examples did the September 2025 release add?")
    diff = parts.service.diff("2025-04-11", "2025-09-12")
    added = sum(len(change.added) for change in diff.examples.values())
    removed = sum(len(change.removed) for change in diff.examples.values())
    assert answer.answer.startswith(
        f"**2025-09-12**, against the release before it (2025-04-11): {added} examples added, "
        f"{removed} removed"
    )
    sections = parts.service.answer("How many sections did the October 2025 release add?")
    assert "(2025-09-12): 1 section added, 0 removed (77 → 78;" in sections.answer
    # the change questions' own words for it count too: one list of them for both
    deleted = parts.service.answer("How many examples did the September 2025 release delete?")
    assert deleted.answer.startswith(answer.answer.split(":")[0] + ":")
    # a change question that counts nothing new stays the diffs' answer
    changed = parts.service.answer("How many sections changed in the October 2025 release?")
    assert changed.answer.startswith("*Answered from the release diffs")


def test_what_one_release_added_counts_only_the_examples_of_the_label_asked(
    parts: Components,
) -> None:
    """ "How many BAD examples did it add?" counted every example added."""
    bad = parts.service.answer("How many BAD examples did the September 2025 release add?")
    every = parts.service.answer("How many examples did the September 2025 release add?")
    before, after = (
        sum("BAD" in e.labels for e in parts.service.corpus().get(name).parsed.examples)
        for name in ("2025-04-11", "2025-09-12")
    )
    assert f"examples labelled BAD added, 1 removed ({before} → {after};" in bad.answer
    added = int(bad.answer.split("): ")[1].split()[0])
    assert added - 1 == after - before and added < int(every.answer.split("): ")[1].split()[0])


def test_examples_are_counted_by_authority_level_each_or_one(parts: Components) -> None:
    """ "How many GOOD examples does each authority level have?" was answered with the text of
    the levels section."""
    each = parts.service.answer("How many GOOD examples does each authority level have?").answer
    counts = {
        level: int(count)
        for level, count in re.findall(r"^- (\w+): (\d+) examples", each, flags=re.M)
    }
    release = parts.service.corpus().get(None).parsed
    by_level = Counter(
        release.section(e.section_id).authority  # type: ignore[union-attr]
        for e in release.examples
        if "GOOD" in e.labels
    )
    assert counts == {level: n for level, n in by_level.items() if level}
    root = parts.service.answer("How many examples are there at root level?").answer
    at_root = sum(
        1
        for e in release.examples
        if e.responses and release.section(e.section_id).authority == "root"  # type: ignore[union-attr]
    )
    assert re.search(rf"^- root: {at_root} examples; replies GOOD \d+", root, flags=re.M)
    assert "- user:" not in root
    topic = parts.service.answer("How many examples about privacy are at root level?")
    assert "by authority level" not in topic.answer


@pytest.mark.parametrize(
    ("question", "release", "label"),
    [
        ("How many BAD examples were there in the April 2025 release?", "2025-04-11", "BAD"),
        ("How many examples had a reply labelled OK in February 2025?", "2025-02-12", "OK"),
    ],
)
def test_a_count_of_labelled_examples_names_its_release_by_month(
    parts: Components, question: str, release: str, label: str
) -> None:
    """Both were "Not covered": "were" and "had" read as a topic."""
    answer = parts.service.answer(question).answer
    assert answer.startswith(f"**Examples with a reply labelled {label}** in {release}: ")


@pytest.mark.parametrize(
    "question",
    ["How many examples were there in each release?", "How many sections does every release have?"],
)
def test_a_count_asked_of_each_release_counts_every_indexed_release(
    parts: Components, question: str
) -> None:
    """ "…in each release?" was "Not covered"."""
    corpus = parts.service.corpus()
    answer = parts.service.answer(question).answer
    assert answer.startswith(f"**{'Examples' if 'examples' in question else 'Sections'}** in ")
    for name in corpus.names:
        assert f"- **{name}:** " in answer
