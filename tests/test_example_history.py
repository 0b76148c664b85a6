"""An example's history asked by its title: in which releases, and when it came, went or
changed."""

from __future__ import annotations

import pytest

from server.composition.components import Components


def test_asked_when_an_example_was_added_the_answer_names_the_release_and_its_section(
    parts: Components,
) -> None:
    answer = parts.service.answer("When was the example 'prominent signs of mania' added?")
    assert answer.answer.startswith("**Example “prominent signs of mania”**: in 2025-10-27 (`")
    assert "- added in 2025-10-27 (not in 2025-09-12), in `do_not_encourage_self_harm`" in (
        answer.answer
    )
    assert [c.section_id for c in answer.citations] == ["do_not_encourage_self_harm"]


def test_asked_when_an_example_was_removed_the_answer_says_where_it_was_last(
    parts: Components,
) -> None:
    """Its id moved (ex4, then ex3): the title names it through the releases."""
    answer = parts.service.answer(
        'When was the example "probing for privileged information" removed?'
    )
    assert "2025-02-12 (`do_not_lie/ex4`), 2025-04-11 (`do_not_lie/ex3`)" in answer.answer
    assert "- removed in 2025-12-18 (last in 2025-10-27), from `do_not_lie`" in answer.answer
    assert answer.release == "2025-10-27"  # the newest release that has it


def test_an_examples_change_shows_how_its_replies_changed(parts: Components) -> None:
    answer = parts.service.answer(
        "What changed in the example 'responding to user request for erotica' between April and "
        "September 2025?"
    )
    assert "- changed in 2025-09-12 (from 2025-04-11)" in answer.answer
    assert "  - GOOD reply removed: “Sorry, I can't help with that.”" in answer.answer


def test_a_quote_that_is_no_examples_title_is_answered_as_before(parts: Components) -> None:
    assert parts.service.structure.example_history.answer("When was 'Do not lie' added?") is None
    assert (
        parts.service.structure.example_history.answer(
            "When was the example 'purple giraffes' added?"
        )
        is None
    )


def test_an_example_whose_title_only_wrote_its_dash_another_way_was_never_removed(
    parts: Components,
) -> None:
    """Asked by its old title ("—"), it was said to be removed in 2025-09-12, where its title
    writes "---" and its section was renamed."""
    answer = parts.service.answer(
        "When was the example 'user/developer conflict — private prompt' added?"
    ).answer
    assert "- present since the first indexed release (2025-02-12)" in answer
    assert "removed" not in answer and "added in" not in answer and "changed in" not in answer
    assert "2025-12-18 (`protect_privileged_information/ex2`)" in answer
    assert (
        "- under `protect_privileged_information` from 2025-09-12 (was "
        "`protect_privileged_messages`)" in answer
    )


def test_a_retitled_example_is_followed_under_its_new_title_not_removed(
    parts: Components,
) -> None:
    """The bomb example was retitled in 2025-09-12, as its GOOD refusal became a safe
    completion: the release diff pairs it by its conversation, and so does its history."""
    for asked in ("refusing to help build a bomb", "safely responding to a request to help build"):
        answer = parts.service.answer(f"When was the example '{asked}' removed?").answer
        assert "removed in" not in answer and "added in" not in answer
        assert (
            "- retitled in 2025-09-12: “refusing to help build a bomb” → “safely responding to a "
            "request to help build a bomb”" in answer
        )
        assert "- changed in 2025-09-12 (from 2025-04-11)" in answer


@pytest.mark.parametrize(
    "question",
    [
        "What happened to the example 'probing for privileged information'?",
        "Where did the example 'probing for privileged information' go?",
    ],
)
def test_asked_what_happened_to_an_example_the_answer_is_its_history(
    parts: Components, question: str
) -> None:
    """ "What happened to the example '…'?" got a policy answer, confidence high, with no word
    of the example's removal."""
    answer = parts.service.answer(question)
    assert answer.answer.startswith("**Example “probing for privileged information”**")
    assert "removed in 2025-12-18 (last in 2025-10-27)" in answer.answer


@pytest.mark.parametrize(
    ("question", "titles"),
    [
        ("Which release removed the example about the tooth fairy?", ["tooth fairy"]),
        ("Did the spec ever remove the example about the tooth fairy?", ["tooth fairy"]),
        (
            "Was the example about the bomb retitled?",  # three examples; one retitled
            [
                "safely responding to a request to help build a bomb",
                "volume of a bomb with intent to build",
                "volume of a bomb without intent to build",
            ],
        ),
        (
            "When were the bomb volume examples added?",
            ["volume of a bomb with intent to build", "volume of a bomb without intent to build"],
        ),
    ],
)
def test_an_example_described_by_its_words_unquoted_gets_its_history(
    parts: Components, question: str, titles: list[str]
) -> None:
    """Unquoted, the question was answered with its section's history instead."""
    answer = parts.service.answer(question).answer
    for title in titles:
        assert f"**Example “{title}”**" in answer
    assert "- present since the first indexed release (2025-02-12)" in answer


def test_an_example_named_by_its_place_or_a_topic_of_many_is_not_one_examples_history(
    parts: Components,
) -> None:
    history = parts.service.structure.example_history
    assert history.answer("When was the first example added?") is None
    assert history.answer("Which examples about privacy were removed?") is None
