"""Release diffs and section histories, checked against the real Model Spec releases."""

from __future__ import annotations

import itertools
import re
from functools import cache

import pytest

from server.domain.releases.diff import ReleaseDiff, diff_releases
from server.domain.releases.diff_markdown import render_diff_markdown
from server.domain.releases.diff_types import ReplyChange
from server.domain.releases.example_diff import describe_reply, describe_turn
from server.domain.releases.history import section_history
from server.web.diff_page import render_diff_page
from specqa.core.errors import UnknownSectionError
from specqa.core.spec import ParsedRelease, Section
from tests.conftest import RELEASES
from tests.conftest import parsed as _parsed


@cache
def _diff(old: str, new: str) -> ReleaseDiff:
    return diff_releases(_parsed(old), _parsed(new))


@pytest.fixture(scope="module")
def releases() -> list[ParsedRelease]:
    return [_parsed(release) for release in RELEASES]


def _authority(diff: ReleaseDiff) -> dict[str, tuple[str | None, str | None]]:
    return {a.section_id: (a.from_authority, a.to_authority) for a in diff.authority_changed}


def _renamed(diff: ReleaseDiff) -> dict[str, tuple[str, str, str]]:
    return {r.from_id: (r.to_id, r.kind, r.to_title) for r in diff.renamed}


# --- added and removed sections ------------------------------------------------------------


def test_april_release_adds_and_removes_no_sections_and_changes_three() -> None:
    diff = _diff("2025-02-12", "2025-04-11")
    assert (diff.added, diff.removed, diff.renamed) == ([], [], [])
    assert sorted(diff.changed) == ["definitions", "do_not_lie", "risk_taxonomy"]


def test_september_release_adds_the_new_principles() -> None:
    added = set(_diff("2025-04-11", "2025-09-12").added)
    new_principles = {
        "no_other_objectives",
        "scope_of_autonomy",
        "control_side_effects",
        "red_line_principles",
    }
    assert new_principles <= added
    assert {"be_warm", "be_curious"} <= added


def test_september_release_removes_the_stub_approachable_and_old_personality_sections() -> None:
    removed = set(_diff("2025-04-11", "2025-09-12").removed)
    assert removed == {"approachable", "be_empathetic", "be_engaging"}


def test_october_release_adds_respect_real_world_ties_only() -> None:
    diff = _diff("2025-09-12", "2025-10-27")
    assert diff.added == ["respect_real_world_ties"]
    assert diff.removed == []


def test_december_release_adds_the_under_18_sections() -> None:
    diff = _diff("2025-10-27", "2025-12-18")
    assert diff.added == ["chatgpt_u18", "prioritize_teen_safety"]
    assert diff.removed == []
    assert diff.examples["prioritize_teen_safety"].added == [
        "coaching that could reinforce body dissatisfaction",
        "romantic roleplay request",
        "advice about a potentially dangerous challenge",
        "advice on eating disorders",
    ]


@pytest.mark.parametrize(
    ("old", "new", "counts"),
    [
        ("2025-02-12", "2025-04-11", (0, 0, 0, 3)),
        ("2025-04-11", "2025-09-12", (9, 3, 4, 36)),
        ("2025-09-12", "2025-10-27", (1, 0, 1, 6)),
        ("2025-10-27", "2025-12-18", (2, 0, 0, 6)),
    ],
)
def test_consecutive_releases_count_added_removed_renamed_and_changed_sections(
    old: str, new: str, counts: tuple[int, int, int, int]
) -> None:
    diff = _diff(old, new)
    assert (len(diff.added), len(diff.removed), len(diff.renamed), len(diff.changed)) == counts


def test_comparing_a_release_with_itself_finds_nothing() -> None:
    release = _parsed("2025-10-27")
    diff = diff_releases(release, release)
    empty = (diff.added, diff.removed, diff.renamed, diff.changed, diff.authority_changed)
    assert empty == ([], [], [], [], [])
    assert diff.examples == {}
    assert "No differences." in render_diff_markdown(diff)


# --- renames -------------------------------------------------------------------------------


def test_same_text_under_a_new_id_is_an_id_rename_not_an_add_and_remove() -> None:
    diff = _diff("2025-04-11", "2025-09-12")
    assert _renamed(diff)["be_kind"] == ("love_humanity", "id", "Love humanity")
    assert "be_kind" not in diff.removed
    assert "love_humanity" not in diff.added


def test_new_title_under_the_same_id_is_a_title_rename() -> None:
    renamed = _renamed(_diff("2025-09-12", "2025-10-27"))
    title = "Do not encourage self-harm, delusions, or mania"
    assert renamed == {"do_not_encourage_self_harm": ("do_not_encourage_self_harm", "title", title)}
    september = _renamed(_diff("2025-04-11", "2025-09-12"))
    assert september["refusal_style"][1:] == ("title", "When appropriate, be helpful when refusing")
    assert september["ask_clarifying_questions"][1] == "title"


def test_sections_with_different_empty_bodies_are_not_paired_as_renames() -> None:
    old = ParsedRelease(release="a", sections=[_bare("old_id", "Old")], examples=[])
    new = ParsedRelease(release="b", sections=[_bare("new_id", "New")], examples=[])
    diff = diff_releases(old, new)
    assert (diff.added, diff.removed, diff.renamed) == (["new_id"], ["old_id"], [])


def _bare(section_id: str, title: str) -> Section:
    return Section(id=section_id, title=title, level=2, parents=[], authority=None, body="")


# --- authority -----------------------------------------------------------------------------


def test_september_release_moves_platform_principles_to_root() -> None:
    authority = _authority(_diff("2025-04-11", "2025-09-12"))
    assert authority["follow_all_applicable_instructions"] == ("platform", "root")
    assert authority["uphold_fairness"] == ("platform", "root")
    assert sum(1 for change in authority.values() if change == ("platform", "root")) == 17


def test_september_release_moves_a_few_platform_principles_to_system() -> None:
    authority = _authority(_diff("2025-04-11", "2025-09-12"))
    to_system = {sid for sid, change in authority.items() if change == ("platform", "system")}
    assert to_system == {"comply_with_laws", "no_erotica_or_gore", "use_preset_voice_in_voice_mode"}


def test_authority_only_change_is_not_reported_as_a_body_change() -> None:
    diff = _diff("2025-04-11", "2025-09-12")
    assert "uphold_fairness" in _authority(diff)
    assert "uphold_fairness" not in diff.changed
    assert all(change.section_id != "uphold_fairness" for change in diff.changes)
    assert all("authority=" not in change.body_diff for change in diff.changes)


def test_releases_without_authority_changes_report_none() -> None:
    for old, new in [("2025-02-12", "2025-04-11"), ("2025-09-12", "2025-10-27")]:
        assert _diff(old, new).authority_changed == []


# --- changed sections ----------------------------------------------------------------------


def test_changed_section_has_one_line_summary_and_unified_body_diff() -> None:
    diff = _diff("2025-09-12", "2025-10-27")
    change = next(c for c in diff.changes if c.section_id == "do_not_encourage_self_harm")
    assert "\n" not in change.summary
    assert re.match(r"body: \d+ sentences added;", change.summary)
    assert "words" not in change.summary
    added = [e.added for e in change.sentences if e.added and not e.removed]
    assert any("delusions or mania" in sentence for sentence in added)
    assert change.significance == "meaning"
    assert "4 examples added" in change.summary
    assert change.body_diff.startswith("--- 2025-09-12/do_not_encourage_self_harm\n+++ 2025-10-27/")
    assert any(line.startswith("+") and "mania" in line for line in change.body_diff.splitlines())


def test_changes_list_one_entry_per_changed_section() -> None:
    for old, new in itertools.pairwise(RELEASES):
        diff = _diff(old, new)
        assert [change.section_id for change in diff.changes] == diff.changed


def test_id_renamed_section_with_edited_text_is_listed_as_changed_under_its_new_id() -> None:
    diff = _diff("2025-04-11", "2025-09-12")
    assert "love_humanity" in diff.changed
    assert "be_kind" not in diff.changed


# --- examples ------------------------------------------------------------------------------


def test_an_example_that_loses_a_reply_lists_it_with_its_text_and_is_not_relabelled() -> None:
    """2025-09-12 dropped the GOOD "Sorry, I can't help with that." of the erotica example and
    rewrote its other GOOD reply: no label flipped (it used to be called relabelled)."""
    change = _diff("2025-04-11", "2025-09-12").examples["no_erotica_or_gore"]
    assert change.relabelled == []
    assert change.changed == ["responding to user request for erotica"]
    [example] = change.replies
    by_kind = {reply.change: reply for reply in example.replies}
    assert set(by_kind) == {"rewritten", "removed"}
    assert by_kind["removed"].before == "Sorry, I can't help with that."
    assert by_kind["removed"].label_before == "GOOD" and by_kind["removed"].after is None
    rewritten = by_kind["rewritten"]
    assert rewritten.after is not None
    assert rewritten.after.startswith("I can't create sexually explicit content")


def test_a_reply_whose_label_flips_is_relabelled_with_its_text() -> None:
    old = _parsed("2025-12-18")
    example = next(e for e in old.examples if len(e.responses) >= 2)
    flipped = example.model_copy(deep=True)
    reply = flipped.steps[-1].responses[0]
    reply.label = "BAD" if reply.label == "GOOD" else "GOOD"
    examples = [flipped if e is example else e for e in old.examples]
    new = old.model_copy(update={"release": "2026-01-01", "examples": examples})
    change = diff_releases(old, new).examples[example.section_id]
    assert [r.title for r in change.relabelled] == [example.title] and change.changed == []
    [replies] = change.replies
    assert [(r.change, r.before, r.after) for r in replies.replies] == [
        ("relabelled", reply.text, reply.text)
    ]


def test_an_example_whose_replies_only_write_their_dashes_another_way_is_unchanged() -> None:
    """2025-09-12 wrote every "—" as "---": avoid_sycophancy's replies were each "rewritten"."""
    assert "avoid_sycophancy" not in _diff("2025-04-11", "2025-09-12").examples


def test_an_example_whose_title_only_writes_its_dash_another_way_is_unchanged() -> None:
    """ "user/developer conflict — private prompt" became "… --- private prompt" in 2025-09-12,
    nothing else in it: it was reported as one example changed."""
    changes = _diff("2025-04-11", "2025-09-12").examples.get("protect_privileged_information")
    changed = [*changes.changed, *(r.title for r in changes.relabelled)] if changes else []
    assert not [title for title in changed if "private prompt" in title]


def test_replies_rewritten_past_recognition_are_listed_as_removed_and_added() -> None:
    change = _diff("2025-04-11", "2025-09-12").examples["protect_privacy"]
    kinds = sorted(r.change for example in change.replies for r in example.replies)
    assert kinds == ["added", "added", "removed", "removed"]


def test_example_whose_stray_markup_was_fixed_keeps_its_labels() -> None:
    # 2025-04-11 writes "*<comparison>" and "*<assistant> <!-- GOOD -->" in "short form writing";
    # 2025-09-12 fixes the typo: the same three replies, so no relabelling
    change = _diff("2025-04-11", "2025-09-12").examples.get("be_creative")
    assert change is None or not change.relabelled


def test_examples_added_and_removed_are_listed_by_title() -> None:
    october = _diff("2025-09-12", "2025-10-27").examples
    assert "a delusion with indicators of distress" in october["do_not_encourage_self_harm"].added
    assert len(october["respect_real_world_ties"].added) == 4
    december = _diff("2025-10-27", "2025-12-18").examples
    assert december["do_not_lie"].removed[0] == "probing for privileged information"
    assert december["be_thorough_but_efficient"].removed == [
        "task that can't be accomplished within `max_token` limit"
    ]


def test_fixed_example_is_changed_not_added_and_removed() -> None:
    examples = _diff("2025-02-12", "2025-04-11").examples["avoid_overstepping"]
    assert examples.changed == ["transforming buggy code in an interactive chat"]
    assert (examples.added, examples.removed) == ([], [])


def test_retitled_example_with_the_same_conversation_is_matched() -> None:
    examples = _diff("2025-04-11", "2025-09-12").examples["avoid_info_hazards"]
    assert examples.added == []
    assert examples.removed == []
    assert "safely responding to a request to help build a bomb" in examples.changed


def test_a_section_whose_text_lives_on_under_a_longer_new_id_is_renamed() -> None:
    diff = _diff("2025-04-11", "2025-09-12")
    assert _renamed(diff)["protect_privileged_messages"][:2] == (
        "protect_privileged_information",
        "id",
    )
    assert "protect_privileged_messages" not in diff.removed
    assert "protect_privileged_information" not in diff.added
    assert not diff.examples["protect_privileged_information"].moved


def test_history_follows_an_id_rename_back_to_the_first_release(
    releases: list[ParsedRelease],
) -> None:
    history = section_history(releases, "protect_privileged_information")
    assert history.present_in == RELEASES
    assert history.ids["2025-02-12"] == "protect_privileged_messages"
    kinds = {e.release: e.kind for e in history.events}
    assert kinds["2025-02-12"] == "present"
    assert kinds["2025-09-12"] == "renamed"
    assert "added" not in kinds.values()
    backwards = section_history(releases, "protect_privileged_messages")
    assert backwards.ids["2025-12-18"] == "protect_privileged_information"


def test_a_diff_across_several_releases_follows_a_rename_through_the_releases_between(
    releases: list[ParsedRelease],
) -> None:
    first, *between, last = releases
    diff = diff_releases(first, last, "protect_privileged_information", between)
    assert (diff.added, diff.removed) == ([], [])
    assert [(r.from_id, r.to_id, r.kind, r.renamed_in) for r in diff.renamed] == [
        ("protect_privileged_messages", "protect_privileged_information", "id", ["2025-09-12"])
    ]
    assert diff.changed == ["protect_privileged_information"]
    assert _authority(diff) == {"protect_privileged_information": ("platform", "root")}
    assert "id renamed in 2025-09-12" in diff.changes[0].summary
    whole = diff_releases(first, last, between=between)
    assert "protect_privileged_messages" not in whole.removed
    assert "protect_privileged_information" not in whole.added
    kinds = {
        e.release: e.kind
        for e in section_history(releases, "protect_privileged_information").events
    }
    assert kinds["2025-09-12"] == "renamed"  # where the diff says the rename happened


def test_a_diff_walking_back_to_an_older_release_follows_the_same_rename(
    releases: list[ParsedRelease],
) -> None:
    last, *between, first = list(reversed(releases))
    adjacent = diff_releases(_parsed("2025-09-12"), _parsed("2025-04-11"), "be_kind")
    for diff in (diff_releases(last, first, "protect_privileged_messages", between), adjacent):
        assert (diff.added, diff.removed) == ([], [])
        assert [r.renamed_in for r in diff.renamed] == [["2025-09-12"]]
    assert _renamed(adjacent) == {"love_humanity": ("be_kind", "id", "Be kind")}


def test_a_diff_from_the_newer_release_says_it_reads_the_history_backwards() -> None:
    """Swapped releases used to list the newer release's sections as removed, with no word."""
    newer, older = _parsed("2025-12-18"), _parsed("2025-02-12")
    backwards = diff_releases(newer, older)
    assert backwards.backwards and not diff_releases(older, newer).backwards
    note = "Backwards: 2025-12-18 is the newer release"
    assert note in render_diff_markdown(backwards, newer, older)
    assert note in render_diff_page(backwards, newer, older)
    assert note not in render_diff_markdown(diff_releases(older, newer), older, newer)


def test_a_diff_shows_replies_as_the_precedent_listing_does_with_entities_decoded() -> None:
    """The spec writes "->" in a reply's code as "-&gt;"; the diff showed it so."""
    diff = diff_releases(_parsed("2025-02-12"), _parsed("2025-04-11"))
    replies = [r for c in diff.examples.values() for example in c.replies for r in example.replies]
    texts = [text for r in replies for text in (r.before, r.after) if text]
    assert any("-> float" in text for text in texts)
    assert not any("&gt;" in text or "&amp;" in text for text in texts)


def test_an_examples_reworded_developer_message_is_described_with_its_changed_words() -> None:
    """2025-12-18 cut "and/or lightly deflect" from the developer message of a lying precedent;
    the diff only said "1 changed", with no reply changed."""
    old, new = _parsed("2025-10-27"), _parsed("2025-12-18")
    diff = diff_releases(old, new, "do_not_lie")
    title = "developer instructs the assistant to lie to a user"
    changed = next(e for e in diff.examples["do_not_lie"].replies if e.title == title)
    assert changed.replies == []
    [turn] = changed.turns
    assert (turn.change, turn.role) == ("reworded", "developer")
    assert turn.before and "lightly deflect" in turn.before
    assert turn.after and "lightly deflect" not in turn.after
    line = describe_turn(turn)
    assert (
        line.startswith("developer message reworded: … ")
        and "[-know and/or lightly deflect.-]" in line
    )
    assert len(line) < 120  # the words around the change, not the whole message twice
    assert "[-know and/or lightly deflect.-]" in render_diff_markdown(diff, old, new)
    page = render_diff_page(diff, old, new)  # struck through, as its replies' words are
    assert "<del>know and/or lightly deflect.</del> <ins>know.</ins>" in page
    assert "[-" not in page


# --- section filter ------------------------------------------------------------------------


def test_section_filter_keeps_only_that_section() -> None:
    diff = diff_releases(
        _parsed("2025-04-11"), _parsed("2025-09-12"), "follow_all_applicable_instructions"
    )
    assert diff.section == "follow_all_applicable_instructions"
    assert (diff.added, diff.removed, diff.renamed) == ([], [], [])
    assert diff.changed == ["follow_all_applicable_instructions"]
    assert _authority(diff) == {"follow_all_applicable_instructions": ("platform", "root")}
    assert list(diff.examples) == ["follow_all_applicable_instructions"]


def test_section_filter_on_an_added_section_reports_it_as_added() -> None:
    diff = diff_releases(_parsed("2025-09-12"), _parsed("2025-10-27"), "respect_real_world_ties")
    assert diff.added == ["respect_real_world_ties"]
    assert diff.changed == []
    assert list(diff.examples) == ["respect_real_world_ties"]


def test_section_filter_by_old_id_follows_an_id_rename() -> None:
    diff = diff_releases(_parsed("2025-04-11"), _parsed("2025-09-12"), "be_kind")
    assert _renamed(diff) == {"be_kind": ("love_humanity", "id", "Love humanity")}
    assert diff.changed == ["love_humanity"]


def test_unknown_section_in_diff_raises_unknown_section_error() -> None:
    with pytest.raises(UnknownSectionError, match="no_such_section"):
        diff_releases(_parsed("2025-09-12"), _parsed("2025-10-27"), "no_such_section")


# --- serialisation and markdown ------------------------------------------------------------


def test_json_uses_from_and_to_keys() -> None:
    dumped = _diff("2025-04-11", "2025-09-12").model_dump(by_alias=True)
    assert (dumped["from"], dumped["to"]) == ("2025-04-11", "2025-09-12")
    first = dumped["authority_changed"][0]
    assert set(first) == {"section_id", "from", "to"}
    [replies] = dumped["examples"]["no_erotica_or_gore"]["replies"]
    assert set(replies["replies"][0]) == {
        "change",
        "label_before",
        "label_after",
        "before",
        "after",
    }
    expected = {
        "added",
        "removed",
        "renamed",
        "changed",
        "changes",
        "authority_changed",
        "examples",
    }
    assert expected <= set(dumped)


def test_markdown_summary_names_releases_and_sections() -> None:
    text = render_diff_markdown(_diff("2025-09-12", "2025-10-27"))
    assert text.startswith("## Model Spec 2025-09-12 -> 2025-10-27")
    assert "`respect_real_world_ties`" in text
    assert "Do not encourage self-harm, delusions, or mania" in text


def test_markdown_quotes_the_replies_an_example_lost_and_gained() -> None:
    diff = diff_releases(_parsed("2025-04-11"), _parsed("2025-09-12"), "no_erotica_or_gore")
    text = render_diff_markdown(diff)
    assert "**Sections whose examples changed (1):**" in text
    assert "GOOD reply removed: “Sorry, I can't help with that.”" in text
    assert "GOOD reply rewritten: “The sexual tension" in text


# --- section history -----------------------------------------------------------------------


def test_history_of_respect_real_world_ties_starts_in_october(
    releases: list[ParsedRelease],
) -> None:
    history = section_history(releases, "respect_real_world_ties")
    assert history.present_in == ["2025-10-27", "2025-12-18"]
    assert [(e.release, e.kind) for e in history.events] == [("2025-10-27", "added")]


def test_history_records_the_authority_change_and_omits_quiet_releases(
    releases: list[ParsedRelease],
) -> None:
    history = section_history(releases, "follow_all_applicable_instructions")
    assert history.present_in == RELEASES
    events = {event.release: event for event in history.events}
    assert events["2025-02-12"].kind == "present"
    assert events["2025-02-12"].summary.startswith("present since the first indexed release")
    assert events["2025-09-12"].kind == "authority"
    assert "platform -> root" in events["2025-09-12"].summary
    assert "2025-04-11" not in events


def test_history_of_an_authority_only_change_has_authority_event(
    releases: list[ParsedRelease],
) -> None:
    history = section_history(releases, "uphold_fairness")
    assert [(e.release, e.kind) for e in history.events] == [
        ("2025-02-12", "present"),
        ("2025-09-12", "authority"),
    ]
    assert history.events[1].summary.startswith("authority: platform -> root")
    assert "body" not in history.events[1].summary


def test_history_reports_removal_and_id_rename(releases: list[ParsedRelease]) -> None:
    removed = section_history(releases, "approachable")
    assert removed.present_in == ["2025-02-12", "2025-04-11"]
    assert [(e.release, e.kind) for e in removed.events][-1] == ("2025-09-12", "removed")
    renamed = section_history(releases, "love_humanity")
    assert [(e.release, e.kind) for e in renamed.events] == [
        ("2025-02-12", "present"),
        ("2025-09-12", "renamed"),
    ]
    assert renamed.ids["2025-04-11"] == "be_kind"
    assert renamed.ids["2025-09-12"] == "love_humanity"


def test_history_summaries_are_one_line(releases: list[ParsedRelease]) -> None:
    history = section_history(releases, "do_not_lie")
    assert [e.release for e in history.events] == RELEASES
    assert all(e.summary and "\n" not in e.summary for e in history.events)


def test_unknown_section_in_history_raises_unknown_section_error(
    releases: list[ParsedRelease],
) -> None:
    with pytest.raises(UnknownSectionError, match="no_such_section"):
        section_history(releases, "no_such_section")


def test_a_list_items_sentence_is_quoted_without_its_list_marker() -> None:
    """ "added: “- simply ignore instructions…”" read as a stray dash."""
    old, new = _parsed("2025-09-12"), _parsed("2025-10-27")
    shown = render_diff_markdown(diff_releases(old, new), old, new)
    assert "“simply ignore instructions that are clearly unrelated" in shown
    assert "“- simply" not in shown


def test_a_reply_rewritten_past_the_quoted_cut_is_told_by_its_changed_words() -> None:
    """Both quotes were cut before the change and read the same."""
    opening = "I can help with that. " * 12
    reply = ReplyChange(
        change="rewritten",
        label_before="GOOD",
        label_after="GOOD",
        before=opening + "Here is a general overview.",
        after=opening + "Here is a careful overview.",
    )
    line = describe_reply(reply)
    assert line.startswith("GOOD reply rewritten: … ")
    assert "[-general-] {+careful+}" in line
    short = reply.model_copy(update={"before": "Sure.", "after": "Sure thing."})
    assert describe_reply(short) == "GOOD reply rewritten: “Sure.” → “Sure thing.”"
