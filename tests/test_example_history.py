"""An example's history asked by its title: in which releases, and when it came, went or
changed."""

from __future__ import annotations

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
    assert parts.service.example_history.answer("When was 'Do not lie' added?") is None
    assert (
        parts.service.example_history.answer("When was the example 'purple giraffes' added?")
        is None
    )
