"""The retrieval eval sets: well formed, labelled with real sections, split, and not copied from the spec."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from specqa.core.question_bank import normalise_quotes
from specqa.core.quotes import sentences_of
from tests.conftest import RELEASES, parsed

EVAL_DIR = Path(__file__).resolve().parent / "eval"
FILES = [
    "questions.jsonl",
    "prompts.jsonl",
    "heldout.jsonl",
    "everyday.jsonl",
    "bottomline.jsonl",
    "blind.jsonl",
    "blind2.jsonl",
    "blind3.jsonl",
    "blind4.jsonl",
    "blind5.jsonl",
    "blind6.jsonl",
]
# Written blind (from the spec text alone, never against the product) to compare a change no other
# set was fitted to: all of it is dev.
DEV_ONLY = {"blind.jsonl", "blind2.jsonl", "blind3.jsonl", "blind4.jsonl"}
# Written blind like those, and never looked at question by question: all of it is test.
TEST_ONLY = {"blind5.jsonl", "blind6.jsonl"}
NEWEST = RELEASES[-1]
SPLITS = {"dev", "test"}
# The spec's own vocabulary: an everyday question that uses it is not asked in everyday words.
SPEC_TERMS = [
    "sycophan",
    "privileged",
    "untrusted",
    "chain of command",
    "root",
    "guideline",
    "platform-level",
    "letter and spirit",
    "level of authority",
    "levels of authority",
    "scope of autonomy",
    "side effect",
    "information hazard",
    "safe complet",
    "transformation exception",
    "imminent",
    "illicit",
    "regulated advice",
    "misalign",
    "agenda",
    "prohibited content",
    "restricted content",
    "sensitive content",
    "erotica",
    "extremis",
    "hateful",
    "protected group",
    "condescend",
    "patroniz",
    "clarifying question",
    "preset voice",
    "model spec",
    "real-world ties",
]
WORD = re.compile(r"[a-z0-9]+")


@cache
def rows(name: str) -> tuple[dict[str, Any], ...]:
    lines = (EVAL_DIR / name).read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def words(text: str) -> frozenset[str]:
    return frozenset(WORD.findall(text.lower()))


@cache
def example_texts() -> tuple[str, ...]:
    """Every release's example user turns and example titles: the tuning data an eval must not copy."""
    texts: set[str] = set()
    for release in RELEASES:
        for example in parsed(release).examples:
            texts.add(example.title)
            texts.update(turn.content for turn in example.conversation if turn.role == "user")
    return tuple(text for text in texts if len(words(text)) >= 3)


@pytest.mark.parametrize("name", FILES)
def test_every_line_has_a_question_one_to_three_sections_a_voice_and_a_split(name: str) -> None:
    for row in rows(name):
        assert isinstance(row["question"], str) and row["question"].strip(), row
        assert isinstance(row["voice"], str) and row["voice"], row
        assert row["split"] in SPLITS, row
        assert 1 <= len(row["sections"]) <= 3, row
        assert len(set(row["sections"])) == len(row["sections"]), row


@pytest.mark.parametrize("name", FILES)
def test_every_labelled_section_exists_in_the_newest_release(name: str) -> None:
    known = {section.id for section in parsed(NEWEST).sections}
    unknown = {s for row in rows(name) for s in row["sections"]} - known
    assert not unknown


@pytest.mark.parametrize("name", [name for name in FILES if name not in DEV_ONLY | TEST_ONLY])
def test_both_splits_are_used_and_hold_the_same_voices(name: str) -> None:
    voices = {split: {r["voice"] for r in rows(name) if r["split"] == split} for split in SPLITS}
    assert voices["dev"] and voices["dev"] == voices["test"]


@pytest.mark.parametrize("name", FILES)
def test_no_question_appears_twice(name: str) -> None:
    questions = [row["question"].strip().lower() for row in rows(name)]
    assert len(set(questions)) == len(questions)


def test_everyday_set_is_large_and_covers_many_sections_in_both_splits() -> None:
    everyday = rows("everyday.jsonl")
    assert len(everyday) >= 150
    assert {row["voice"] for row in everyday} == {"everyday"}
    assert len({s for row in everyday for s in row["sections"]}) >= 60
    for split in SPLITS:
        assert len({s for row in everyday if row["split"] == split for s in row["sections"]}) >= 50


def test_everyday_questions_use_neither_spec_terms_nor_section_titles() -> None:
    titles = [section.title.lower() for section in parsed(NEWEST).sections]
    for row in rows("everyday.jsonl"):
        question = row["question"].lower()
        assert not [term for term in SPEC_TERMS if term in question], row["question"]
        assert not [title for title in titles if title in question], row["question"]


def test_raw_prompt_set_covers_many_sections() -> None:
    prompts = rows("prompts.jsonl")
    assert len(prompts) >= 150
    assert len({s for row in prompts for s in row["sections"]}) >= 50


@pytest.mark.parametrize("name", FILES)
def test_no_question_is_a_near_copy_of_a_spec_example(name: str) -> None:
    """Word-set Jaccard against every example user turn and title; one-word greetings are exempt."""
    for row in rows(name):
        question = words(row["question"])
        if len(question) < 3:
            continue
        for text in example_texts():
            other = words(text)
            overlap = len(question & other) / len(question | other)
            assert overlap < 0.5, (row["question"], text)


@pytest.mark.parametrize(
    ("name", "size", "splits"),
    [
        ("bottomline.jsonl", 150, SPLITS),
        ("blind.jsonl", 100, {"dev"}),
        ("blind2.jsonl", 100, {"dev"}),
        ("blind3.jsonl", 100, {"dev"}),
        ("blind4.jsonl", 140, {"dev"}),
        ("blind5.jsonl", 130, {"test"}),
        ("blind6.jsonl", 90, {"test"}),
    ],
)
def test_bottom_line_sets_have_acceptable_sentences_verbatim_from_their_sections(
    name: str, size: int, splits: set[str]
) -> None:
    rows_ = rows(name)
    assert len(rows_) >= size
    assert {r["split"] for r in rows_} == splits
    for split in splits:
        assert {r["voice"] for r in rows_ if r["split"] == split} == {
            "everyday",
            "developer",
            "policy",
        }
    newest = {section.id: section for section in parsed(NEWEST).sections}
    for row in rows_:
        texts = [
            normalise_quotes(s) for sid in row["sections"] for s in sentences_of(newest[sid].body)
        ]
        assert row["sentences"], row
        assert all(normalise_quotes(s) in texts for s in row["sentences"]), row["question"]
        assert row["answer"] in ("yes", "no", "it depends", None), row
    answered = [r for r in rows_ if r["answer"] is not None]
    assert len(answered) >= 0.6 * len(rows_)


def test_off_topic_set_holds_questions_the_spec_does_not_cover_and_borderline_ones() -> None:
    rows_ = rows("offtopic.jsonl")
    assert len(rows_) >= 80
    known = {section.id for section in parsed(NEWEST).sections}
    off = [r for r in rows_ if r["covered"] is False]
    borderline = [r for r in rows_ if r["covered"] is True]
    assert len(off) >= 60 and len(borderline) >= 20
    assert not any(r.get("sections") for r in off)
    assert all(1 <= len(r["sections"]) <= 3 and set(r["sections"]) <= known for r in borderline)
    for kind in (off, borderline):
        assert {r["split"] for r in kind} == SPLITS
    questions = [r["question"].strip().lower() for r in rows_]
    assert len(set(questions)) == len(questions)
