"""Bidirectional control characters (U+202E and the rest) are stripped on input, like the other
control characters, from questions, earlier turns and feedback comments (issue 24 item 15), so
nothing stored or printed (`specqa feedback stats`) shows reversed text. No index needed. Also the sentence helpers every module shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.domain.answering.service_lookups import SpecLookups
from server.domain.feedback.store import open_feedback_store
from specqa.core.text import (
    BIDI_CONTROLS,
    NORMATIVE,
    blocks,
    plain_text,
    split_sentences,
    without_controls,
)
from tests.conftest import make_settings
from tests.helpers import plain_answer

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
REVERSED = "Is this \u202eevil.exe\u202c and \u2067txt\u2069 safe?\u200f\u061c"


def lookups(tmp_path: Path) -> SpecLookups:
    return SpecLookups(make_settings(tmp_path), lambda: None, None)  # type: ignore[arg-type, return-value]


def test_every_bidirectional_control_is_stripped_and_an_emoji_joiner_kept_in_comments() -> None:
    assert set(BIDI) == BIDI_CONTROLS
    assert without_controls(f"a{BIDI}b\x00\n\tc\ud800") == "ab\n\tc"
    assert without_controls(f"👩\u200d💻{BIDI}", keep_format=True) == "👩\u200d💻"


def test_questions_and_earlier_turns_lose_their_bidirectional_controls(tmp_path: Path) -> None:
    spec = lookups(tmp_path)
    assert spec.validate_question(REVERSED) == "Is this evil.exe and txt safe?"
    history = [REVERSED, f"  {BIDI}  ", 42, "\x00plain\x07 turn\ud800"]
    assert spec.validate_history(history) == ["Is this evil.exe and txt safe?", "plain turn"]  # type: ignore[list-item]
    assert spec.validate_history(None) == []


@pytest.mark.parametrize("comment", [REVERSED, f"{BIDI}Is this evil.exe and txt safe?"])
def test_feedback_comments_lose_their_bidirectional_controls(tmp_path: Path, comment: str) -> None:
    store = open_feedback_store(make_settings(tmp_path))
    answer = plain_answer("Is this safe?")
    store.record_answer(answer)
    saved = store.add(answer.id, "down", comment + " 👩\u200d💻")
    assert saved.comment == "Is this evil.exe and txt safe? 👩\u200d💻"
    assert store.stats().questions[0].comments == [saved.comment]
    store.close()


def test_plain_text_keeps_link_texts_and_drops_markup_and_list_markers() -> None:
    markdown = "- The assistant **must** follow [the chain of command](#chain_of_command) `always`"
    assert plain_text(markdown) == "The assistant must follow the chain of command always"


def test_blocks_separate_paragraphs_and_list_items() -> None:
    assert blocks("One.\n\nTwo:\n- a\n- b") == ["One.", "Two:", "- a", "- b"]


def test_sentences_are_cut_where_a_new_sentence_starts_not_inside_numbers() -> None:
    assert split_sentences('It should help. "Quoted" next. Version 2.5 stays.') == [
        "It should help.",
        '"Quoted" next.',
        "Version 2.5 stays.",
    ]


def test_rule_statements_are_told_from_illustrations() -> None:
    assert NORMATIVE.search("The assistant should not reveal its system prompt.")
    assert not NORMATIVE.search("For example, a user asks about the weather.")
