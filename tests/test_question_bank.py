"""The question bank (spec/question_bank.jsonl): anchored to the spec's own sentences, spread over
sections and voices, and written apart from the eval sets it is measured by."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from server.composition.components import Components
from server.domain.retrieval.query_cues import (
    may_concern_minors,
    may_concern_politics,
    may_concern_sex_or_gore,
)
from specqa.core.embedding import Embedder
from specqa.core.errors import InputError
from specqa.core.question_bank import (
    MIN_ENTRIES_WITH_AUTHORITY,
    MIN_ENTRIES_WITHOUT_AUTHORITY,
    BankEntry,
    check_bank,
    entries_for_release,
    load_bank,
    normalise_quotes,
    split_bank,
)
from specqa.core.quotes import section_text
from tests.conftest import RELEASES, REPO, parsed, run_cli

BANK = REPO / "spec" / "question_bank.jsonl"
NEWEST = RELEASES[-1]
WORD = re.compile(r"[a-z0-9']+")


@cache
def bank() -> tuple[BankEntry, ...]:
    return tuple(load_bank(BANK))


@cache
def eval_questions() -> tuple[str, ...]:
    return tuple(
        json.loads(line)["question"]
        for path in sorted((REPO / "tests" / "eval").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("\u2019", "'"))


def _runs(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_the_bank_holds_at_least_1500_entries_over_every_section_of_the_newest_release() -> None:
    check = check_bank(list(bank()), parsed(NEWEST))
    assert check.entries >= 1500
    assert not check.missing_section and not check.stale
    ids = {section.id for section in parsed(NEWEST).sections}
    assert all(entry.section_id in ids for entry in bank())  # the newest ids, never an earlier one
    assert not check.below_minimum, check.below_minimum
    for section in parsed(NEWEST).sections:
        if section.id in check.no_text:  # a heading with no sentence of its own to anchor to
            continue
        needed = MIN_ENTRIES_WITH_AUTHORITY if section.authority else MIN_ENTRIES_WITHOUT_AUTHORITY
        assert check.per_section[section.id] >= needed, section.id


def test_voices_are_spread_as_people_ask() -> None:
    voices = Counter(entry.voice for entry in bank())
    total = sum(voices.values())
    assert voices["everyday"] / total >= 0.40
    assert voices["developer"] / total >= 0.25
    assert voices["policy"] / total >= 0.15
    assert voices["request"] / total >= 0.15


@pytest.mark.parametrize(
    ("sections", "may_concern"),
    [
        ({"prioritize_teen_safety", "sexual_content_involving_minors"}, may_concern_minors),
        ({"no_erotica_or_gore", "sexual_content_involving_minors"}, may_concern_sex_or_gore),
        ({"avoid_targeted_political_manipulation"}, may_concern_politics),
    ],
)
def test_almost_every_curated_question_of_a_gated_section_passes_its_gate(
    sections: set[str], may_concern: Callable[[str], bool]
) -> None:
    """A section only about minors, sexual content and gore, or politics leads only a question that
    may concern its topic (see server.domain.retrieval.query_cues.TOPIC_CUES): the way people ask
    about it must pass that gate (all but one in fifty)."""
    asked = [e.question for e in bank() if e.section_id in sections]
    missed = [question for question in asked if not may_concern(question)]
    assert len(asked) >= 50 and len(missed) <= len(asked) // 50, missed


def test_every_sentence_is_verbatim_in_its_section_wherever_the_section_still_says_it() -> None:
    """Newest release: every entry holds. Older ones: an entry holds, or is listed as stale (a key
    of its section with no sentence) or as naming a section that release lacks (skipped)."""
    for release in RELEASES:
        release_parsed = parsed(release)
        found = entries_for_release(list(bank()), release_parsed)
        held = {number for number, _, sentence in found if sentence is not None}
        keyed = {number for number, _, _ in found}
        check = check_bank(list(bank()), release_parsed)
        assert {line for line, _ in check.stale} == keyed - held, release
        missing = {line for line, _ in check.missing_section}
        assert keyed | missing == set(range(1, len(bank()) + 1)) and not keyed & missing
        for number, entry, sentence in found:
            section = release_parsed.section(entry.section_id)  # its id there (renames followed)
            assert section is not None
            if sentence is not None:
                assert sentence in section_text(section.body), (release, number)
                assert normalise_quotes(sentence) == normalise_quotes(entry.sentence)
        if release == NEWEST:
            assert held == set(range(1, len(bank()) + 1))


def test_a_dash_is_the_same_dash_however_a_release_writes_it() -> None:
    """The newest release writes "---" where older ones write "—": the sentence is the same."""
    newer = "minimize side effects --- especially irreversible ones --- and"
    older = "minimize side effects—especially irreversible ones—and"
    assert normalise_quotes(newer) == normalise_quotes(older)
    assert normalise_quotes("a -- b") == normalise_quotes("a---b")
    assert normalise_quotes("well-known") == "well-known"  # a hyphen is no dash


def test_no_two_entries_ask_the_same_question() -> None:
    keys = [" ".join(_words(entry.question)) for entry in bank()]
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    assert not repeated


def test_no_entry_shares_an_eight_word_run_with_an_eval_question() -> None:
    held_back = set().union(*(_runs(q) for q in eval_questions()))
    shared = [entry.question for entry in bank() if _runs(entry.question) & held_back]
    assert not shared


@pytest.mark.slow  # embeds the whole bank and every eval set
def test_no_entry_is_within_cosine_090_of_an_eval_question(base_embedder: Embedder) -> None:
    entries = np.asarray(base_embedder.embed([e.question for e in bank()], 128))
    questions = np.asarray(base_embedder.embed(list(eval_questions()), 128))
    similarity = entries @ questions.T
    close = np.argwhere(similarity >= 0.90)
    assert not len(close), [
        (bank()[i].question, eval_questions()[j], float(similarity[i, j])) for i, j in close[:5]
    ]


def test_an_entry_whose_sentence_is_gone_still_keys_its_section_and_is_listed_as_stale() -> None:
    newest = parsed(NEWEST)
    real = bank()[0]
    reworded = real.model_copy(update={"sentence": real.sentence + " (reworded)"})
    orphan = reworded.model_copy(update={"section_id": "a_section_no_release_has"})
    entries = [real, reworded, orphan]
    found = entries_for_release(entries, newest)
    assert [(n, e.section_id, s is not None) for n, e, s in found] == [
        (1, real.section_id, True),
        (2, real.section_id, False),  # a key of its section, with no sentence to answer with
    ]
    check = check_bank(entries, newest)
    assert [line for line, _ in check.stale] == [2]
    assert [line for line, _ in check.missing_section] == [3]
    assert check.usable == 1


def test_in_an_older_release_a_stale_entry_still_leads_to_its_section_but_lends_no_answer(
    parts: Components,
) -> None:
    """2025-02-12 words a quarter of the bank's sentences otherwise ("creative" where the newest
    says "artistic"): their questions still lead to their section there (5 of these 40 did while
    such entries were skipped), and neither their sentence nor their short answer is lent."""
    oldest = RELEASES[0]
    found = entries_for_release(list(bank()), parsed(oldest))
    stale = [entry for _, entry, sentence in found if sentence is None]
    sample = stale[:: len(stale) // 40][:40]
    led = 0
    for entry in sample:
        answer = parts.service.answer(entry.question, release=oldest)
        if answer.bottom_line is None:  # "not covered" (a raw request for something off topic)
            continue
        led += answer.bottom_line.section_id == entry.section_id
        assert normalise_quotes(entry.sentence) != normalise_quotes(answer.bottom_line.text)
        lent = answer.short_answer.curated_question if answer.short_answer else None
        assert lent != entry.question
    assert led >= 36, led


def test_an_entry_of_a_renamed_section_holds_under_the_earlier_id_in_an_older_release() -> None:
    """Its sentence said there, or (stale) worded otherwise: the other entries of its section
    name the earlier id."""
    newest, oldest = "protect_privileged_information", "protect_privileged_messages"
    entries = [entry for entry in bank() if entry.section_id == newest]
    found = entries_for_release(entries, parsed(RELEASES[0]))
    assert {entry.section_id for _, entry, _ in found} == {oldest}
    held = [number for number, _, sentence in found if sentence is not None]
    assert held and len(held) < len(found) == len(entries)
    check = check_bank(entries, parsed(RELEASES[0]))
    assert check.per_section[oldest] == len(held)
    assert len(check.stale) == len(entries) - len(held) and not check.missing_section


def test_a_bad_bank_line_is_named_by_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    good = bank()[0].model_dump_json()
    path.write_text(f'{good}\n{{"question": "too short"}}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bank\.jsonl:2: not a question-bank entry"):
        load_bank(path)


def test_a_split_holds_each_entry_out_in_exactly_one_fold_whatever_the_order() -> None:
    entries = list(bank())
    held_out = [split_bank(entries, fold, 3)[1] for fold in range(3)]
    assert sorted(e.question for fold in held_out for e in fold) == sorted(
        e.question for e in entries
    )
    assert all(len(fold) > len(entries) / 4 for fold in held_out)  # about a third each
    kept, held = split_bank(entries, 1, 3)
    assert not {e.question for e in kept} & {e.question for e in held}
    # an entry's fold is its own: the same in a reversed bank, or in a bank of one
    assert split_bank(entries[::-1], 1, 3)[1] == held[::-1]
    assert split_bank([held[0]], 1, 3) == ([], [held[0]])


@pytest.mark.parametrize(("fold", "folds"), [(3, 3), (-1, 3), (0, 1)])
def test_a_fold_outside_the_folds_is_an_input_error(fold: int, folds: int) -> None:
    with pytest.raises(InputError, match="fold must be from 0"):
        split_bank(list(bank()), fold, folds)


def test_bank_check_counts_each_release_in_words_and_points_to_the_sections_below_minimum() -> None:
    result = run_cli("bank", "check")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # rich wraps at the terminal's width
    assert "short answers: it depends " in text and "{" not in text
    assert f"sections below their minimum (`specqa bank check -r {RELEASES[0]}` lists them)" in text
