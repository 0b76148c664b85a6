"""Questions about rules moving between authority levels, answered from the real releases' diffs."""

from __future__ import annotations

import pytest

from server.composition.components import Components
from server.domain.answering.authority_moves import PLATFORM_RENAMED, asked_move


@pytest.mark.parametrize(
    ("question", "move"),
    [
        (
            "Which sections moved from platform level down to system level, and when?",
            ("platform", "system"),
        ),
        ("Were any guideline-level defaults promoted to root level?", ("guideline", "root")),
        ("Which rules were promoted to root?", (None, "root")),
        # any level to any other
        ("Which rules changed authority level?", (None, None)),
        ("Did any section's authority level change in the September 2025 release?", (None, None)),
        # not asked of the releases' past
        ("Can a default become root-level?", None),
        ("Should the model change its tone to a guideline?", None),
    ],
)
def test_a_question_about_levels_moving_names_from_and_to(
    question: str, move: tuple[str | None, str | None] | None
) -> None:
    assert asked_move(question) == move


def test_sections_moved_from_platform_to_system_are_listed_with_the_release(
    parts: Components,
) -> None:
    answer = parts.service.answer(
        "Which sections moved from platform level down to system level, and when?"
    )
    assert answer.answer.startswith(
        "**Sections whose authority level moved from platform to system**, between 2025-02-12 "
        "and 2025-12-18: 3."
    )
    assert "- **2025-09-12**: [Don't respond with erotica or gore]" in answer.answer
    assert {c.section_id for c in answer.citations} >= {"no_erotica_or_gore", "comply_with_laws"}
    assert {c.authority for c in answer.citations} == {"system"}
    # platform was the older name for both root and system: the answer says so
    assert PLATFORM_RENAMED.strip() in answer.answer
    promoted = parts.service.answer("Which rules were promoted to root?")
    assert ": platform → root" in promoted.answer and PLATFORM_RENAMED.strip() in promoted.answer


def test_a_move_asked_of_one_release_that_did_not_happen_says_so(parts: Components) -> None:
    answer = parts.service.answer(
        "Were any root-level rules downgraded to system-level in the September 2025 release?"
    )
    assert answer.answer.startswith(
        "No section's authority level moved from root to system in 2025-09-12."
    )
    assert answer.citations == []


@pytest.mark.parametrize(
    ("question", "levels"),
    [
        ("Has 'Be warm' always been a guideline?", "**guideline** in every release that has it"),
        (
            "Has 'Protect people's privacy' always been at root level?",
            "**platform** in 2025-02-12 and 2025-04-11; **root** from 2025-09-12",
        ),
        # the level words are not its topic: it led with levels_of_authority
        (
            "Has the rule on erotica always been at the same authority level?",
            "**platform** in 2025-02-12 and 2025-04-11; **system** from 2025-09-12",
        ),
    ],
)
def test_a_section_history_asked_of_its_level_tells_the_level_in_each_release(
    parts: Components, question: str, levels: str
) -> None:
    lead = parts.service.answer(question).answer.split("\n\n")[0]
    assert lead.startswith("**In short:**")
    assert f"Its authority level: {levels}." in lead


def test_a_question_about_the_levels_section_itself_gets_its_history_without_a_level_line(
    parts: Components,
) -> None:
    answer = parts.service.answer("What changed about the levels of authority?").answer
    assert "(`levels_of_authority`)" in answer.split("\n\n")[0]
    assert "Its authority level" not in answer and "no authority level" not in answer
