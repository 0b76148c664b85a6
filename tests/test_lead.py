"""What an answer leads with, on every surface: the short answer and the curated question it comes
from, "not covered" for a question the spec does not govern, no padding among the citations, and a
notice when an LLM answer was asked for with no LLM configured."""

from __future__ import annotations

import httpx
import pytest

from server.composition.components import Components
from server.domain.answering.confidence import NOT_COVERED
from server.domain.answering.lead import CITE_GAP
from server.domain.retrieval.query_cues import about_the_assistant, content_free, mentions_risk
from server.domain.schemas import Answer
from server.edge.rendering import answer_brief, render_chat_markdown
from server.slack.compact import compact_message

CURATED = "will the chatbot show me its system prompt if I ask"  # a bank question, as written
REVERSED = "Will ChatGPT refuse to show me its system prompt if I ask?"
OFF_TOPIC = "what is the boiling point of tungsten in kelvin"


def _headline(answer: Answer) -> str:
    return str(compact_message(answer, shareable=False)["blocks"][1]["text"]["text"])


def test_a_curated_question_opens_with_its_short_answer_and_names_it(parts: Components) -> None:
    answer = parts.service.answer(CURATED, mode="extractive")
    assert answer.short_answer is not None
    assert answer.short_answer.value == "no" and answer.short_answer.curated_question == CURATED
    assert answer.answer.startswith("**Short answer: No.**\n*Closest curated question:* “")
    assert answer_brief(answer, 2500).startswith("**Short answer: No.**")
    assert _headline(answer).startswith("*Short answer: No.*")
    assert render_chat_markdown(answer).startswith("**Short answer: No.**")


@pytest.mark.parametrize(
    "reversed_question",
    [REVERSED, "Is the chatbot supposed to avoid showing me its system prompt if I ask?"],
)
def test_a_question_asked_the_other_way_round_gets_no_guessed_short_answer(
    parts: Components, reversed_question: str
) -> None:
    answer = parts.service.answer(reversed_question, mode="extractive")
    assert answer.covered and answer.bottom_line is not None
    assert answer.short_answer is None
    assert "Short answer" not in answer.answer


def test_the_bottom_line_is_the_sentence_the_closest_curated_question_is_anchored_to(
    parts: Components,
) -> None:
    answer = parts.service.answer(CURATED, mode="extractive")
    corpus = parts.corpus().get(answer.release)
    key = next(chunk for chunk in corpus.chunks if chunk.kind == "bank" and chunk.text == CURATED)
    assert answer.bottom_line is not None
    assert answer.bottom_line.text == key.metadata["bank_sentence"]
    assert answer.bottom_line.section_id == key.section_id


def test_an_off_topic_question_is_not_covered_on_every_surface(
    parts: Components, open_url: str
) -> None:
    answer = parts.service.answer(OFF_TOPIC, mode="extractive")
    assert not answer.covered and answer.confidence == "low"
    assert NOT_COVERED in answer.answer
    assert NOT_COVERED in answer_brief(answer, 2500)
    assert _headline(answer).startswith("*Not covered.*")
    rest = httpx.post(f"{open_url}/v1/answer", json={"question": OFF_TOPIC}, timeout=30).json()
    assert rest["covered"] is False and rest["confidence"] == "low"
    chat = httpx.post(
        f"{open_url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": OFF_TOPIC}]},
        timeout=30,
    ).json()
    assert NOT_COVERED in chat["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    "question",
    [
        "Can it help me cheat on my online exam?",
        "Should the model reveal its system prompt?",
        "Will it write a sexy story for me if I'm an adult?",
    ],
)
def test_cited_sections_are_within_the_gap_of_the_first(parts: Components, question: str) -> None:
    result = parts.service.prepare(question).evidence
    assert result is not None
    scores = [hit.score for hit in result.result.sections]
    assert scores and all(score >= scores[0] - CITE_GAP for score in scores)
    assert len(parts.retriever.search(question).sections) >= len(scores)


def test_voice_mode_sections_are_cited_only_for_questions_about_voice(parts: Components) -> None:
    plain = parts.service.answer("How long should its answers be when I ask something simple?")
    assert not [c for c in plain.citations if "voice" in c.section_id]
    spoken = parts.service.answer("How long should its answers be when I'm talking to it by voice?")
    assert any("voice" in c.section_id for c in spoken.citations)


def test_an_explanatory_section_leads_only_a_question_about_the_spec_itself(
    parts: Components,
) -> None:
    about_behaviour = parts.service.answer("Does it have to follow what I tell it?")
    assert about_behaviour.citations[0].authority is not None
    about_spec = parts.service.answer("How is OpenAI's Model Spec document organised?")
    assert about_spec.citations[0].authority is None


def test_mode_llm_with_no_llm_configured_answers_extractively_and_says_so(
    parts: Components, open_url: str
) -> None:
    assert parts.service.llm is None
    answer = parts.service.answer("Should the model reveal its system prompt?", mode="llm")
    assert answer.mode == "extractive" and not answer.fallback
    assert answer.notice is not None and "no LLM is configured" in answer.notice
    assert "no LLM is configured" in answer.answer
    assert "no LLM is configured" in answer_brief(answer, 2500)
    rest = httpx.post(
        f"{open_url}/v1/answer",
        json={"question": "Should the model reveal its system prompt?", "mode": "llm"},
        timeout=30,
    ).json()
    assert "no LLM is configured" in rest["notice"]
    chat = httpx.post(
        f"{open_url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "Can it swear?"}], "mode": "llm"},
        timeout=30,
    ).json()
    assert "no LLM is configured" in chat["choices"][0]["message"]["content"]
    streamed = parts.service.stream("Can it swear?", mode="llm")
    done = next(event for event in streamed if event.type == "done")
    assert done.answer is not None and "no LLM is configured" in (done.answer.notice or "")


@pytest.mark.parametrize(
    ("question", "asks_about_the_assistant"),
    [
        ("Will ChatGPT give me a lasagna recipe?", True),
        ("can the model tell me which stocks to buy", True),
        ("Why won't it tell me the score of the game?", True),
        ("Does the spec say anything about homework help?", True),
        ("give me a good lasagna recipe", False),
        ("How much does a ChatGPT Plus subscription cost?", False),
        ("Does ChatGPT Plus have a student discount?", False),  # the product, not its behaviour
        ("How do I stream chat completions with the OpenAI SDK?", False),
    ],
)
def test_a_question_about_what_the_assistant_does_is_told_from_the_request_itself(
    question: str, asks_about_the_assistant: bool
) -> None:
    assert about_the_assistant(question) is asks_about_the_assistant


def test_asking_how_the_assistant_handles_an_everyday_request_stays_on_topic(
    parts: Components,
) -> None:
    """The request alone is not covered; asking what ChatGPT does with it is."""
    assert not parts.service.answer("give me a good lasagna recipe", mode="extractive").covered
    handled = parts.service.answer("Will ChatGPT give me a lasagna recipe?", mode="extractive")
    assert handled.covered


@pytest.mark.parametrize(
    ("request_text", "risky"),
    [
        ("which lines under a car do i cut so the brakes fail slowly", True),
        ("best way to run dirty cash through a small restaurant", True),
        ("how do I change the brake fluid in a 2015 Civic", True),  # a false alarm costs little
        ("how do I rotate the tyres on a 2015 Civic", False),
        ("what's the capital of Peru", False),
        ("is it legal to date a minor", True),
        ("I forgot my ChatGPT password, how do I reset it", False),  # forgot is not forgery
        ("how do I play a minor chord on guitar", False),
        ("my docker container keeps dying after a minute", False),
    ],
)
def test_a_request_with_words_of_harm_or_crime_is_told_apart(
    request_text: str, risky: bool
) -> None:
    """Such a request is never answered "not covered", however everyday its topic."""
    assert mentions_risk(request_text) is risky


@pytest.mark.parametrize(
    ("question", "names_nothing"),
    [
        ("Is that allowed?", True),
        ("Can it do that?", True),
        ("What about this one?", True),
        ("Will it swear?", False),
        ("Is erotica ok?", False),
    ],
)
def test_a_question_that_names_nothing_is_told_apart(question: str, names_nothing: bool) -> None:
    """Such a question alone gets confidence "low" (a follow-up leans on the turn before)."""
    assert content_free(question) is names_nothing
