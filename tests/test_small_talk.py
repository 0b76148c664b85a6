"""Thanks, greetings, acknowledgements and reactions get a short reply and a pointer to what can
be asked, not the earlier answer again (as a follow-up) nor a section about pleasantries."""

from __future__ import annotations

import openai
import pytest

from server.composition.components import Components
from server.domain.answering.small_talk import small_talk_answer
from tests.conftest import every_curated_question


@pytest.mark.parametrize(
    ("message", "opening"),
    [
        ("thanks", "You're welcome."),
        ("Got it, thank you so much!", "You're welcome."),
        ("ok cool thx", "You're welcome."),
        ("thanks! that helps", "You're welcome."),
        ("Hi there", "Hello."),
        ("good morning!", "Hello."),
        ("ok", "All right."),
        ("makes sense.", "All right."),
        ("that was really useful", "All right."),
        ("What can you do?", "I answer questions about OpenAI's Model Spec."),
        ("hi! what can you do?", "Hello. I answer questions about OpenAI's Model Spec."),
        ("lol", "That is not a question"),
        ("?", "That is not a question"),
        ("x", "That is not a question"),
        ("hmm...", "That is not a question"),
    ],
)
def test_small_talk_gets_a_short_reply_that_says_what_to_ask(message: str, opening: str) -> None:
    answer = small_talk_answer(message, "2025-12-18")
    assert answer is not None
    assert answer.answer.startswith(opening)
    assert "Model Spec" in answer.answer
    assert answer.citations == [] and answer.confidence is None and answer.bottom_line is None


@pytest.mark.parametrize(
    "message",
    [
        "Thanks! And what about for kids?",
        "Hello, will it swear if I ask it to?",
        "Is it ok?",
        "why?",
        "and for teens?",
        "Should the model say thanks back when a user thanks it?",
    ],
)
def test_a_message_that_asks_something_is_no_small_talk(message: str) -> None:
    assert small_talk_answer(message, "2025-12-18") is None


def test_the_only_small_talk_among_the_curated_questions_is_a_raw_prompt() -> None:
    """A bank or eval question taken for small talk would get no answer; the one that is,
    "thanks! that helps", is a raw prompt (ranked as one above)."""
    questions = every_curated_question()
    assert len(questions) > 7000
    assert [q for q in questions if small_talk_answer(q, "2025-12-18")] == ["thanks! that helps"]


def test_thanks_after_an_answer_does_not_repeat_it(parts: Components) -> None:
    history = ["Will it help me pick a lock?"]
    earlier = parts.service.answer(history[0], mode="extractive")
    thanks = parts.service.answer("thanks!", mode="extractive", history=history)
    assert earlier.citations and earlier.bottom_line is not None
    assert thanks.citations == [] and thanks.bottom_line is None and thanks.confidence is None
    assert thanks.answer.startswith("You're welcome.")
    assert thanks.release == earlier.release


def test_a_follow_up_that_opens_with_thanks_is_answered_as_the_follow_up_alone(
    parts: Components,
) -> None:
    history = ["Will it swear if I ask it to?"]
    plain = parts.service.answer("And if the developer allows it?", history=history)
    thanked = parts.service.answer("Thanks! And if the developer allows it?", history=history)
    assert thanked.citations[0].section_id == "be_professional"
    assert thanked.bottom_line == plain.bottom_line
    assert thanked.question == "Thanks! And if the developer allows it?"


def test_small_talk_streams_and_gets_no_notice_that_no_llm_wrote_it(
    parts: Components,
) -> None:
    events = list(parts.service.stream("hello", mode="llm", history=["May the model lie?"]))
    assert events[0].type == "meta" and events[-1].type == "done"
    assert {e.type for e in events[1:-1]} == {"delta"}
    final = events[-1].answer
    assert final is not None and final.answer.startswith("Hello.")
    assert final.notice is None


def test_thanks_alone_gets_a_reply_yet_still_ranks_the_section_on_answering_thanks(
    parts: Components,
) -> None:
    """A Slack DM "thanks, that's really helpful" got the self-harm section's crisis text. As a
    raw prompt "thanks! that helps" still ranks the section on how a model should answer it."""
    for message in ("thanks, that's really helpful", "thanks! that helps"):
        alone = parts.service.answer(message, mode="extractive")
        assert alone.answer.startswith("You're welcome.") and alone.citations == []
    ranked, _ = parts.service.ranked_sections("thanks! that helps")
    assert ranked[0] == "have_conversational_sense"


def test_the_chat_endpoint_answers_thanks_with_a_reply_not_the_earlier_answer(
    open_url: str,
) -> None:
    client = openai.OpenAI(base_url=f"{open_url}/v1", api_key="unused", max_retries=0)
    messages = [
        {"role": "user", "content": "May the model lie to users?"},
        {"role": "assistant", "content": "**Bottom line:** …"},
        {"role": "user", "content": "ok thanks"},
    ]
    reply = client.chat.completions.create(model="model-spec", messages=messages)  # type: ignore[arg-type]
    content = reply.choices[0].message.content or ""
    assert content.startswith("You're welcome.")
    assert "#do_not_lie" not in content
