"""Questions that ask which sections sit at an authority level, answered from the release's
structure on the real releases."""

from __future__ import annotations

import pytest

from server.composition.components import Components
from server.domain.answering.level_listing import asked_levels


@pytest.mark.parametrize(
    ("question", "levels"),
    [
        ("Which sections are root-level?", ["root"]),
        ("Which root- and system-level rules are there?", ["root", "system"]),
        (
            "List the developer, user or guideline level defaults",
            ["developer", "user", "guideline"],
        ),
        ("How many sections are guideline-level in the latest release?", ["guideline"]),
        # one section's level, a level's power, or a question about the rules' purpose: no list
        ('Is "Do not lie" a user-level rule?', []),
        ("Can a developer override a root-level rule?", []),
        ("What kinds of behavior do the root-level rules mostly exist to prevent?", []),
    ],
)
def test_a_request_to_list_or_count_sections_names_its_levels(
    question: str, levels: list[str]
) -> None:
    assert asked_levels(question) == levels


def test_which_sections_are_root_level_lists_every_one_of_the_newest_release(
    parts: Components,
) -> None:
    answer = parts.service.answer("Which sections are root-level?")
    newest = parts.service.corpus().newest
    root = [
        s.id for s in parts.service.corpus().get(newest).parsed.sections if s.authority == "root"
    ]
    assert answer.release == newest and root
    assert [c.section_id for c in answer.citations] == root
    assert answer.answer.startswith(f"**Root level** in {newest} (a hard rule")
    assert f"{len(root)} sections." in answer.answer
    assert all(f"(`{section_id}`)" in answer.answer for section_id in root)
    assert answer.answer.endswith("no model wrote this.*")


def test_a_release_before_root_and_system_lists_its_platform_level_and_says_why(
    parts: Components,
) -> None:
    answer = parts.service.answer(
        "How many rules are at the system level in the February 2025 spec?"
    )
    assert answer.release == "2025-02-12"
    assert "2025-02-12 names no root or system level: platform is the older name" in answer.answer
    assert {c.authority for c in answer.citations} == {"platform"}


def test_asked_one_sections_level_the_answer_is_the_ordinary_one(parts: Components) -> None:
    answer = parts.service.answer('Is "Do not lie" a user-level rule?')
    assert answer.bottom_line is not None and answer.citations[0].section_id == "do_not_lie"


def test_how_many_authority_levels_counts_those_the_release_places_sections_at(
    parts: Components,
) -> None:
    answer = parts.service.answer("How many authority levels did 2025-02-12 define?")
    assert answer.release == "2025-02-12"
    assert answer.answer.startswith("2025-02-12 places its sections at 4 authority levels:")
    heads = [line for line in answer.answer.splitlines() if line.startswith("- **")]
    assert [h.split("**")[1] for h in heads] == [
        "Platform level",
        "Developer level",
        "User level",
        "Guideline level",
    ]
    assert [c.section_id for c in answer.citations] == [
        "levels_of_authority",
        "follow_all_applicable_instructions",
    ]


def test_the_levels_overview_quotes_the_specs_own_ordering_down_to_no_authority(
    parts: Components,
) -> None:
    """Counting sections per level leaves out what has no authority (tool output, quoted text),
    which the spec's own ordering ends with."""
    answer = parts.service.answer(
        "What are the levels of authority in the Model Spec, from highest to lowest?"
    )
    quoted = [line for line in answer.answer.splitlines() if line.startswith("> ")]
    assert quoted[0] == '> 1. **Root**: Model Spec "root" sections'
    assert quoted[-1].startswith("> 6. *No Authority*: assistant and tool messages")
    body = parts.service.section("follow_all_applicable_instructions").body
    assert all(line[2:] in body for line in quoted)


@pytest.mark.parametrize(
    ("question", "levels"),
    [
        ("How many sections have root authority in the latest release?", ["root"]),
        ("How many guideline sections were in the February 2025 release?", ["guideline"]),
        ("List the sections with authority of system", ["system"]),
        ("Can a developer override a root-level rule?", []),
        ("Which sections are about user privacy?", []),
    ],
)
def test_a_level_is_named_as_people_name_it(question: str, levels: list[str]) -> None:
    """Only "root-level" was read: "root authority" and "guideline sections" got a policy quote."""
    assert asked_levels(question) == levels
