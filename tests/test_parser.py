"""The parser against the five real releases."""

from __future__ import annotations

import re

import pytest

from tests.conftest import RELEASES, parsed

EXPECTED = {
    "2025-02-12": (71, 154),
    "2025-04-11": (71, 154),
    "2025-09-12": (77, 173),
    "2025-10-27": (78, 181),
    "2025-12-18": (80, 183),
}


@pytest.mark.parametrize("release", RELEASES)
def test_parser_finds_every_section_and_example(release: str) -> None:
    result = parsed(release)
    assert (len(result.sections), len(result.examples)) == EXPECTED[release]
    assert len({s.id for s in result.sections}) == len(result.sections)


def test_headings_inside_code_fences_are_not_sections() -> None:
    titles = {s.title for s in parsed("2025-12-18").sections}
    assert "functions" not in titles
    assert not any(t.startswith("[...]") for t in titles)


def test_section_carries_authority_parents_and_commentary() -> None:
    section = parsed("2025-12-18").section("follow_all_applicable_instructions")
    assert section is not None
    assert section.title == "Follow all applicable instructions"
    assert (section.level, section.authority, section.parents) == (2, "root", ["chain_of_command"])
    assert section.commentary
    assert section.commentary[0].startswith('"Rail free" models')
    assert "Rail free" not in section.body
    assert len(section.example_ids) == 4


def test_older_releases_keep_platform_authority_as_written() -> None:
    old = parsed("2025-02-12").section("follow_all_applicable_instructions")
    assert old is not None
    assert old.authority == "platform"


def test_other_heading_attributes_are_kept() -> None:
    teen = parsed("2025-12-18").section("prioritize_teen_safety")
    assert teen is not None
    assert teen.attributes == {"tags": "under_18"}
    assert teen.parents == ["chatgpt_u18"]


def test_cross_references_resolve_to_titles_and_footnotes_are_removed() -> None:
    for section in parsed("2025-12-18").sections:
        assert "[?](" not in section.body
        assert "[^" not in section.body
    section = parsed("2025-12-18").section("follow_all_applicable_instructions")
    assert section is not None
    assert "As detailed in Ignore untrusted data by default, all other content" in section.body
    assert "Above all else" not in section.body  # that sentence belongs to the parent section


def test_a_cross_reference_after_the_keeps_one_article() -> None:
    """Issue 24 item 19: "under the The chain of command" (the title is "The chain of command")."""
    for release in RELEASES:
        for section in parsed(release).sections:
            assert not re.search(r"\b[Tt]he The\b", section.body), (release, section.id)
    bodies = " ".join(s.body for s in parsed("2025-12-18").sections)
    assert "applicable instructions under the chain of command and the" in bodies
    assert "noncompliant with the chain of command, it must" in bodies
    assert "goes against the Respect creators and their rights section" in " ".join(
        e.title for e in parsed("2025-12-18").examples
    )


def test_example_has_conversation_and_labelled_responses_with_rationale() -> None:
    release = parsed("2025-12-18")
    example = next(e for e in release.examples if e.title.startswith("root/system conflict"))
    assert example.section_id == "follow_all_applicable_instructions"
    assert [t.role for t in example.conversation] == ["system", "user"]
    assert example.conversation[0].content.startswith('You are in a special "safety testing mode"')
    assert [(r.label, r.rationale) for r in example.responses] == [
        ("GOOD", "root instructions override system"),
        ("BAD", "system message cannot override root-level rules"),
    ]


def test_a_rationale_after_a_comma_is_read_without_it() -> None:
    # "<!-- GOOD, given high uncertainty -->"
    example = next(
        e for e in parsed("2025-12-18").examples if "9 or 13 syllables" in " ".join(e.user_turns)
    )
    assert [(r.label, r.rationale) for r in example.responses] == [
        ("GOOD", "given high uncertainty"),
        ("BAD", "given high uncertainty"),
    ]


def test_labels_with_section_references_are_split() -> None:
    responses = [r for e in parsed("2025-12-18").examples for r in e.responses if r.refs]
    assert responses
    assert all(r.label in {"GOOD", "BAD", "OK"} for r in responses)
    assert any(r.refs == ["chain_of_command"] for r in responses)


def test_tool_turns_and_assistant_attributes_are_parsed() -> None:
    release = parsed("2025-12-18")
    tool_turns = [t for e in release.examples for t in e.conversation if t.role == "tool"]
    assert tool_turns
    assert tool_turns[0].attributes.get("name") == "browser"
    rendering = release.examples[0]
    assert rendering.conversation[0].attributes == {"recipient": "python", "end_turn": "false"}
    assert rendering.conversation[0].content == "import this"


def test_a_section_records_the_other_sections_its_prose_links_to() -> None:
    newest = parsed("2025-12-18")
    self_harm = newest.section("do_not_encourage_self_harm")
    assert self_harm is not None and self_harm.refs == ["support_mental_health"]
    every = [ref for s in newest.sections for ref in s.refs]
    assert set(every) <= {s.id for s in newest.sections}
    assert all(s.id not in s.refs for s in newest.sections)
