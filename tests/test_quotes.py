"""Quotes are verbatim: every passage is text of one block of the section, never glued across
paragraphs, list items or lines; each citation deep-links to its first passage."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from server.composition.components import Components
from server.domain.answering.quoting import best_sentences
from server.domain.schemas import Citation
from specqa.core.quotes import (
    GAP,
    passages_of,
    section_blocks,
    section_text,
    sentences_of,
    text_fragment_url,
)
from tests.conftest import RELEASES, REPO, parsed

EVAL_SETS = sorted((REPO / "tests" / "eval").glob("*.jsonl"))


def eval_questions() -> list[str]:
    return [
        json.loads(line)["question"]
        for path in EVAL_SETS
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def assert_verbatim(citation: Citation, body: str) -> None:
    blocks = section_blocks(body)
    for passage in passages_of(citation.quote):
        assert any(passage in block for block in blocks), (
            f"{citation.section_id}: {passage!r} is not text of one block of the section"
        )
        assert passage in section_text(body)


@pytest.mark.slow  # answers every eval question
def test_every_quote_of_every_eval_answer_is_verbatim_from_its_section(parts: Components) -> None:
    questions = eval_questions()
    assert len(questions) > 300
    corpus = parts.corpus()
    checked = 0
    for question in questions:
        answer = parts.service.answer(question, mode="extractive")
        for citation in answer.citations:
            section = corpus.get(citation.release).section(citation.section_id)
            assert_verbatim(citation, section.body)
            assert bool(citation.quote) == bool(section_text(section.body))
            checked += len(passages_of(citation.quote))
    assert checked > len(questions)


def test_every_quote_link_points_at_its_first_passage(parts: Components) -> None:
    for question in eval_questions()[::10]:
        for citation in parts.service.answer(question, mode="extractive").citations:
            if not citation.quote:
                assert citation.quote_url is None
                continue
            assert citation.quote_url is not None
            base, directive = citation.quote_url.split(":~:text=")
            assert base == citation.url
            first = " ".join(passages_of(citation.quote)[0].split())
            terms = [unquote(term) for term in directive.split(",")]
            assert "-" not in directive and " " not in directive
            assert 1 <= len(terms) <= 2 and all(term in first for term in terms)


@pytest.mark.parametrize("release", RELEASES)
def test_sentences_of_every_section_are_verbatim_and_stay_inside_one_block(release: str) -> None:
    for section in parsed(release).sections:
        blocks = section_blocks(section.body)
        for sentence in sentences_of(section.body):
            assert any(sentence in block for block in blocks)
            assert "\n\n" not in sentence


def test_list_items_with_bold_labels_are_separate_sentences() -> None:
    body = "Key rules:\n\n- **Be transparent:** Say it is not human.\n- **Graphic detail:** Limit gore."
    assert sentences_of(body) == [
        "Be transparent: Say it is not human.",
        "Graphic detail: Limit gore.",
    ]


def test_a_line_of_its_own_is_not_run_into_the_next() -> None:
    body = "Safety testing mode enabled\nThe assistant should still refuse this request entirely."
    assert sentences_of(body) == [
        "Safety testing mode enabled",
        "The assistant should still refuse this request entirely.",
    ]


def test_a_hard_wrapped_sentence_stays_one_sentence() -> None:
    body = "When considering tool calls, the assistant should evaluate the trustworthiness\nof both the tool and the endpoint."
    assert sentences_of(body) == [body]


def test_teen_safety_quote_keeps_list_items_apart() -> None:
    # the case: a sentence about graphic detail read as part of the rule about saying
    # the assistant is not human (two items of different lists)
    section = parsed("2025-12-18").section("prioritize_teen_safety")
    assert section is not None
    question = "should it remind teen users that it is not human, and limit graphic detail?"
    quote = best_sentences(section.body, question, limit=4, max_chars=2000)
    passages = passages_of(quote)
    assert quote == GAP.join(passages) and len(passages) >= 2
    human = next(p for p in passages if "not human" in p)
    assert human.startswith("Be transparent: ") and human.endswith("it is not human.")
    assert any("including in the context of educational discussions" in p for p in passages)
    assert all(any(p in block for block in section_blocks(section.body)) for p in passages)


def test_neighbouring_sentences_are_quoted_as_one_passage() -> None:
    body = (
        "The assistant must not lie to users. It must say so when unsure about anything.\n\nOther."
    )
    assert best_sentences(body, "must the assistant lie or say it is unsure") == (
        "The assistant must not lie to users. It must say so when unsure about anything."
    )


def test_an_overlong_sentence_is_cut_at_a_word_and_marked() -> None:
    body = "The assistant should " + "really " * 100 + "be careful."
    quote = best_sentences(body, "careful", max_chars=120)
    assert len(quote) <= 120 and quote.endswith(" […]")
    assert passages_of(quote)[0] in body


def test_a_section_without_text_has_no_quote_and_no_quote_link() -> None:
    assert best_sentences("", "anything") == ""
    citation = Citation(
        section_id="x", title="X", authority=None, release="r", quote="", url="https://h/r.html#x"
    )
    assert citation.quote_url is None


def test_text_fragment_link_encodes_the_directive_per_the_spec() -> None:
    url = "https://model-spec.openai.com/2025-12-18.html#be_kind"
    short = text_fragment_url(url, "Use A-B, C & D.")
    assert short == f"{url}:~:text=Use%20A%2DB%2C%20C%20%26%20D."
    long = text_fragment_url(
        url, "The assistant should be kind to users, even when they are rude to it. […] Other."
    )
    assert long == f"{url}:~:text=The%20assistant%20should%20be,are%20rude%20to%20it."
