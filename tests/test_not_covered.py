"""The not-covered questions (spec/not_covered.jsonl): each names its domain, none repeats, and
none is drawn from the eval sets that measure off-topic detection."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache

import numpy as np
import pytest

from server.domain.retrieval.query_cues import mentions_risk
from specqa.core.embedding import Embedder
from specqa.core.question_bank import load_not_covered
from tests.conftest import REPO
from tests.test_question_bank import _runs, _words, eval_questions

NOT_COVERED = REPO / "spec" / "not_covered.jsonl"


@cache
def not_covered() -> tuple[str, ...]:
    return tuple(load_not_covered(NOT_COVERED))


def test_every_not_covered_line_names_a_question_and_its_domain() -> None:
    rows = [json.loads(line) for line in NOT_COVERED.read_text(encoding="utf-8").splitlines()]
    unnamed = [row for row in rows if not str(row.get("domain", "")).strip()]
    assert len(rows) == len(not_covered()) and not unnamed


def test_no_two_not_covered_questions_are_the_same() -> None:
    keys = [" ".join(_words(question)) for question in not_covered()]
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    assert not repeated


def test_no_not_covered_question_shares_an_eight_word_run_with_an_eval_question() -> None:
    held_back = set().union(*(_runs(q) for q in eval_questions()))
    shared = [question for question in not_covered() if _runs(question) & held_back]
    assert not shared


def test_no_not_covered_question_carries_words_of_harm_or_crime() -> None:
    """Such words keep a request on topic whatever its neighbours: none may fit a question the
    spec does not govern (the list of those words is held to the whole file here)."""
    flagged = [question for question in not_covered() if mentions_risk(question)]
    assert not flagged


@pytest.mark.slow  # embeds every not-covered question and every eval set
def test_no_not_covered_question_is_within_cosine_090_of_an_eval_question(
    base_embedder: Embedder,
) -> None:
    ours = np.asarray(base_embedder.embed(list(not_covered()), 128))
    questions = np.asarray(base_embedder.embed(list(eval_questions()), 128))
    close = np.argwhere(ours @ questions.T >= 0.90)
    # names only our questions: an eval question shown to a writer would feed the file
    assert not len(close), sorted({not_covered()[i] for i, _ in close})
