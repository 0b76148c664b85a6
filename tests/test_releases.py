"""Release-aware answers, change questions, and the policy analyst's CLI on the real releases."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from server.composition.components import Components
from server.domain.releases.change_lead import best_match
from server.domain.schemas import Answer, ShortAnswer
from server.edge.rendering import render_chat_markdown
from server.mcp.briefs import answer_brief
from server.slack.compact import compact_message
from specqa.core.errors import UnknownReleaseError, UnknownSectionError
from tests.conftest import run_cli


def test_answers_name_their_release_and_note_later_changes(parts: Components) -> None:
    old = parts.service.answer(
        "may the model tell a white lie to spare someone's feelings?", release="2025-04-11"
    )
    assert old.release == "2025-04-11"
    assert old.citations[0].section_id == "do_not_lie"
    assert old.release_note is not None
    assert "/diff?from=2025-04-11&to=2025-12-18&section=do_not_lie" in old.release_note
    assert "/v1/diff" not in old.release_note
    assert old.release_note in old.answer
    newest = parts.service.answer("may the model tell a white lie to spare someone's feelings?")
    assert newest.release_note is None


SYSTEM_PROMPT = "Should the model reveal its system prompt?"


@pytest.fixture(scope="module")
def february_answer(parts: Components) -> Answer:
    """Answered from the first release: its governing section was renamed and rewritten later."""
    return parts.service.answer(SYSTEM_PROMPT, release="2025-02-12")


def test_release_note_follows_a_rename_to_the_newest_release(february_answer: Answer) -> None:
    assert february_answer.bottom_line is not None
    assert february_answer.bottom_line.section_id == "protect_privileged_messages"
    note = february_answer.release_note
    assert note is not None
    assert "id renamed to `protect_privileged_information` in 2025-09-12" in note
    assert "between 2025-02-12 and 2025-12-18" in note
    assert "/diff?from=2025-02-12&to=2025-12-18&section=protect_privileged_messages" in note


def test_extractive_markdown_shows_the_release_note_right_after_the_bottom_line(
    february_answer: Answer,
) -> None:
    text = february_answer.answer
    bottom = text.index("**Bottom line:**")
    note = text.index(f"*Changed since:* {february_answer.release_note}")
    assert bottom < note < text.index("**Confidence:") < text.index("*Quoted from the Model Spec")
    assert text.count("*Changed since:*") == 1


def test_mcp_brief_shows_the_release_note_right_after_the_bottom_line(
    february_answer: Answer,
) -> None:
    brief = answer_brief(february_answer, 6000)
    assert brief.index("**Bottom line:**") < brief.index("*Changed since:*")
    assert brief.index("*Changed since:*") < brief.index("**Confidence:")


def test_chat_markdown_of_a_model_answer_shows_the_release_note_after_the_short_answer(
    february_answer: Answer,
) -> None:
    short = ShortAnswer(
        value="no",
        text="No.",
        curated_question=SYSTEM_PROMPT,
        section_id="protect_privileged_messages",
        similarity=0.99,
    )
    llm = february_answer.model_copy(
        update={"mode": "llm", "answer": "The model keeps it private.", "short_answer": short}
    )
    text = render_chat_markdown(llm)
    assert text.index("**Short answer: No.**") < text.index("*Changed since:*")
    assert text.index("*Changed since:*") < text.index("The model keeps it private.")
    assert text.count("*Changed since:*") == 1
    assert render_chat_markdown(february_answer).count("*Changed since:*") == 1  # in its text


def test_cli_model_answer_shows_the_release_note_before_the_models_text(
    cli_env: dict[str, str], fake: FakeOpenAIServer
) -> None:
    fake.script()
    fake.script(
        ScriptedReply("ok", json.dumps({"sections": ["protect_privileged_messages"]})),
        when="TABLE OF CONTENTS",
    )
    fake.script(ScriptedReply("ok", "Verdict: no\n\nKept private [protect_privileged_messages]."))
    llm = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "x", "SPECQA_LLM_MODEL": "fake"}
    shown = run_cli(
        "ask", SYSTEM_PROMPT, "--release", "2025-02-12", "--mode", "llm", env={**cli_env, **llm}
    )
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "llm answer" in text
    assert "Changed since:" in text
    assert text.index("Changed since:") < text.index("Kept private")


def test_slack_shows_the_release_note_right_after_the_bottom_line(
    february_answer: Answer,
) -> None:
    blocks = compact_message(february_answer, shareable=False)["blocks"]
    texts = [
        b["text"]["text"] if "text" in b else b.get("elements", [{}])[0].get("text", "")
        for b in blocks
    ]
    headline = next(i for i, t in enumerate(texts) if "*Bottom line*" in t)
    assert "Changed since:" in texts[headline + 1]
    assert "`protect_privileged_information` in 2025-09-12" in texts[headline + 1]
    assert "[the diff]" not in texts[headline + 1]  # a relative link: its label only


def test_an_older_release_asked_about_a_section_added_later_says_so(parts: Components) -> None:
    """2025-02-12 has no section on an agent's scope of autonomy: its answer is the nearest it
    has, and a notice names the newest release's section and the release that added it."""
    question = "Does the spec require an agent to stay within an agreed-upon scope of autonomy?"
    old = parts.service.answer(question, release="2025-02-12")
    assert old.notice is not None and "`scope_of_autonomy`" in old.notice
    assert "added in 2025-09-12: 2025-02-12 has no such section" in old.notice
    assert parts.service.answer(question).notice is None  # the newest release has it
    # a section the older release has too: no notice
    assert parts.service.answer("Will it help me pick a lock?", release="2025-02-12").notice is None


def test_change_question_is_answered_from_the_diff_citing_both_releases(parts: Components) -> None:
    answer = parts.service.answer("What changed about honesty in the December 2025 release?")
    assert answer.release == "2025-12-18"
    assert "do_not_lie" in answer.answer
    assert "(/diff?from=2025-10-27&to=2025-12-18&section=do_not_lie)" in answer.answer
    cited = {(c.section_id, c.release) for c in answer.citations}
    assert {("do_not_lie", "2025-10-27"), ("do_not_lie", "2025-12-18")} <= cited


def test_a_question_whether_a_rule_was_loosened_is_answered_with_its_history(
    parts: Components,
) -> None:
    answer = parts.service.answer("Was the rule about hateful content ever loosened?")
    assert answer.answer.startswith("**In short:** Avoid hateful content")
    assert "avoid_hateful_content" in {c.section_id for c in answer.citations}


def test_asked_whether_a_release_has_a_section_added_later_the_answer_says_when(
    parts: Components,
) -> None:
    """Not "no change": the section is in neither release compared, and came later."""
    answer = parts.service.answer('Is "Be curious" in the April release?')
    assert answer.release == "2025-04-11"
    assert "- not in 2025-02-12 or 2025-04-11: added in 2025-09-12" in answer.answer
    assert "No change" not in answer.answer


def test_asked_whether_a_removed_section_is_still_there_the_answer_names_it_and_its_removal(
    parts: Components,
) -> None:
    """The section the question names, though the newest release no longer has it, not the
    newest release's nearest one."""
    answer = parts.service.answer(
        "Is the 'Be approachable' section still in the latest Model Spec?"
    )
    assert "(`approachable`)\n- not in 2025-10-27 or 2025-12-18: removed in 2025-09-12" in (
        answer.answer
    )


def test_a_section_renamed_before_the_releases_compared_is_told_once_under_its_new_id(
    parts: Components,
) -> None:
    """`protect_privileged_messages` became `protect_privileged_information` in 2025-09-12: the
    old id must not read "unchanged" beside the new one's changes."""
    answer = parts.service.answer(
        "What changed about lying to protect confidential instructions between 2025-10-27 and "
        "2025-12-18?"
    )
    assert "(`protect_privileged_messages`)" not in answer.answer
    assert "(`protect_privileged_information`)\n- body:" in answer.answer


@pytest.mark.parametrize(
    ("question", "shown"),
    [
        # how each changed example's replies changed
        (
            "How did the erotica section's example change between 2025-04-11 and 2025-09-12?",
            [
                "  - “responding to user request for erotica”: GOOD reply rewritten: “",
                "GOOD reply removed: “Sorry, I can't help with that.”",
            ],
        ),
        # which examples were added or removed, by title
        (
            "What changed about honesty between the October and December 2025 releases?",
            ["2 examples removed", "  - example removed: “probing for privileged information”"],
        ),
    ],
)
def test_a_sections_diff_shows_its_changed_examples_not_only_a_count(
    parts: Components, question: str, shown: list[str]
) -> None:
    answer = parts.service.answer(question)
    assert all(line in answer.answer for line in shown)


def test_asked_whether_a_section_is_still_there_the_answer_says_it_is_unchanged(
    parts: Components,
) -> None:
    """It said "in 2025-10-27 and 2025-12-18, unchanged", which a reviewer read as in those two
    releases only: it has been there since the first."""
    answer = parts.service.answer("Is the transformation exception still in the latest release?")
    assert (
        "(`transformation_exception`)\n- in 2025-12-18, unchanged since 2025-10-27; present since "
        "2025-02-12" in answer.answer
    )
    assert "transformation_exception" in {c.section_id for c in answer.citations}


def test_a_change_question_about_the_world_is_not_answered_from_the_diffs(
    parts: Components,
) -> None:
    """It names neither a release nor the spec, and the spec does not cover it: a history of
    whatever section it resembles would answer another question."""
    answer = parts.service.answer("Did the EU AI Act get stricter in its final version?")
    assert "release diffs" not in answer.answer
    assert (answer.covered, answer.confidence) == (False, "low")


@pytest.mark.parametrize(
    "question",
    [
        "When did the rule about respecting real-world ties first appear?",
        "When was the rule about real-world ties introduced?",
    ],
)
def test_a_change_question_naming_one_of_the_spec_s_rules_by_its_topic_is_answered_from_the_diffs(
    parts: Components, question: str
) -> None:
    """ "the rule about…" names the spec as "the section on…" does: it was called not covered."""
    answer = parts.service.answer(question)
    assert answer.covered
    assert "(`respect_real_world_ties`) first appeared in **2025-10-27**" in answer.answer


def test_when_was_question_reports_the_release_that_added_it(parts: Components) -> None:
    answer = parts.service.answer("when was the under-18 guidance added?")
    assert "**2025-12-18** (added)" in answer.answer
    assert "prioritize_teen_safety" in {c.section_id for c in answer.citations}


def test_when_did_it_appear_question_names_the_release_that_added_it(parts: Components) -> None:
    answer = parts.service.answer("When did guidance on under-18 users appear?")
    assert "**2025-12-18** (added)" in answer.answer
    assert {"prioritize_teen_safety", "chatgpt_u18"} & {c.section_id for c in answer.citations}


def test_when_did_it_appear_answer_leads_with_its_one_line_answer(parts: Components) -> None:
    answer = parts.service.answer("When did guidance on under-18 users appear?")
    first = answer.answer.splitlines()[0]
    assert first == (
        "**In short:** Under-18 Principles (`chatgpt_u18`) first appeared in **2025-12-18**."
    )
    assert "`definitions`" not in answer.answer.split("\n\n")[0]


def test_the_one_line_answer_names_the_section_that_best_matches_not_the_first_retrieved() -> None:
    retrieved = [
        ("definitions", "Definitions"),
        ("prioritize_teen_safety", "Prioritize safety for teens"),
        ("chatgpt_u18", "Under-18 Principles"),
    ]
    assert best_match("under-18 users", retrieved) == 2
    assert (
        best_match("lying", [("seek_truth", "Seek the truth"), ("do_not_lie", "Do not lie")]) == 1
    )
    assert best_match("nothing in common", retrieved) == 0  # the retriever's order then


@pytest.mark.parametrize(
    ("question", "section_id", "expected"),
    [
        (
            "When was the scope of autonomy principle added?",
            "scope_of_autonomy",
            "first appeared in **2025-09-12**; unchanged since.",
        ),
        (
            "When did the rule against lying change?",
            "do_not_lie",
            "was already in the first indexed release, **2025-02-12**; changed in 2025-04-11, "
            "2025-09-12, 2025-10-27 and 2025-12-18.",
        ),
        (
            "When did “Do not reveal privileged information” appear?",
            "protect_privileged_information",
            "was already in the first indexed release, **2025-02-12** (as "
            "`protect_privileged_messages`); renamed in 2025-09-12",
        ),
    ],
)
def test_when_questions_lead_with_the_section_and_releases_its_history_gives(
    parts: Components, question: str, section_id: str, expected: str
) -> None:
    first = parts.service.answer(question).answer.splitlines()[0]
    assert first.startswith("**In short:** ") and f"(`{section_id}`) " in first
    assert expected in first
    history = parts.service.history(section_id)
    assert all(event.release in first for event in history.events)


def test_section_in_the_first_release_is_present_since_then_not_added(parts: Components) -> None:
    answer = parts.service.answer("How has do_not_lie changed?")
    assert "present since the first indexed release (2025-02-12)" in answer.answer
    assert "**2025-02-12** (added)" not in answer.answer
    assert "[-" in answer.answer or "{+" in answer.answer or "- added: “" in answer.answer
    assert "words" not in answer.answer


def test_release_comparison_leads_with_the_added_section_and_ends_with_trivial_edits(
    parts: Components,
) -> None:
    answer = parts.service.answer("What changed between the September and October 2025 releases?")
    text = answer.answer
    assert answer.release == "2025-10-27"
    added = text.index("**Added sections (1):**")
    assert "respect_real_world_ties" in text[added : added + 200]
    assert added < text.index("**Rules whose wording changed")
    if "**Trivial edits" in text:
        assert text.index("**Trivial edits") > text.index("**Rules whose wording changed")
    assert "“" in text  # the changed sentences themselves
    assert ("respect_real_world_ties", "2025-10-27") in {
        (c.section_id, c.release) for c in answer.citations
    }


def test_what_was_removed_in_the_december_release_says_none_were(parts: Components) -> None:
    answer = parts.service.answer("What was removed in the December release?")
    assert answer.release == "2025-12-18"
    assert "0 removed" in answer.answer
    assert "From 2025-10-27 to 2025-12-18" in answer.answer


def test_a_change_question_naming_a_date_that_is_no_release_says_what_it_compares(
    parts: Components,
) -> None:
    answer = parts.service.answer("What changed between 2025-12-18 and 2026-03-01?")
    assert answer.notice == (
        "2026-03-01 is not an indexed release: this compares 2025-10-27 with 2025-12-18"
    )
    named = parts.service.answer("What changed between 2025-10-27 and 2025-12-18?")
    assert named.notice is None and answer.answer.endswith(named.answer)
    assert answer.answer.startswith(f"> **Note:** {answer.notice}")


def test_a_change_question_names_where_a_section_was_added_and_calls_a_dash_trivial(
    parts: Components,
) -> None:
    """The teen rules came in 2025-12-18, not in the release asked about; sycophancy's only
    edit since February is a dash written "---", which was listed as a changed sentence."""
    teens = parts.service.answer("Did the rules about teen safety change since February 2025?")
    assert "Added in 2025-12-18 (not in 2025-02-12)" in teens.answer
    text = parts.service.answer("Did the rules about sycophancy change since February 2025?").answer
    assert "only trivial edits" in text and "[-—-]" not in text
    assert "`be_curious`" not in text  # another topic, matched far less well: not padding


def test_history_question_follows_a_rename(parts: Components) -> None:
    answer = parts.service.answer("How did protect_privileged_information change?")
    assert "present since the first indexed release (2025-02-12)" in answer.answer
    assert "**2025-09-12** (renamed)" in answer.answer


def test_a_change_question_naming_an_old_section_id_is_about_that_section_alone(
    parts: Components,
) -> None:
    """ "What changed in be_kind?" led with "Be warm", a section added later, from the ranking."""
    answer = parts.service.answer("What changed in be_kind?")
    assert answer.answer.startswith("**In short:** Be kind (`be_kind`)")
    assert "renamed" in answer.answer and "be_warm" not in answer.answer


def test_history_cli_names_the_id_a_renamed_section_is_present_under(
    cli_env: dict[str, str],
) -> None:
    """`specqa history be_kind` said "present in" all five releases, as if never renamed."""
    result = run_cli("history", "be_kind", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "2025-04-11, 2025-09-12 (as love_humanity)" in result.stdout


def test_latest_release_and_did_you_mean(parts: Components) -> None:
    assert parts.service.section("do_not_lie", "latest").release == "2025-12-18"
    assert parts.service.answer("lying?", release="latest").release == "2025-12-18"
    with pytest.raises(UnknownReleaseError, match="did you mean '2025-12-18'"):
        parts.service.section("do_not_lie", "2025-12-19")
    with pytest.raises(UnknownSectionError, match="did you mean 'do_not_lie'"):
        parts.service.section("do_not_lei")


def test_diff_cli_reports_added_sections_and_authority_renames(cli_env: dict[str, str]) -> None:
    added = run_cli("diff", "2025-09-12", "2025-10-27", "--json", env=cli_env)
    assert added.returncode == 0, added.stderr
    assert "respect_real_world_ties" in json.loads(added.stdout)["added"]
    renamed = json.loads(run_cli("diff", "2025-02-12", "2025-09-12", "--json", env=cli_env).stdout)
    moves = {(a["section_id"], a["from"], a["to"]) for a in renamed["authority_changed"]}
    assert ("follow_all_applicable_instructions", "platform", "root") in moves
    assert set(renamed) >= {
        "added",
        "removed",
        "renamed",
        "changed",
        "authority_changed",
        "examples",
    }


def test_diff_cli_across_several_releases_reports_the_rename_and_its_release_as_history_does(
    cli_env: dict[str, str],
) -> None:
    args = ("2025-02-12", "2025-12-18", "--section", "protect_privileged_information")
    diff = json.loads(run_cli("diff", *args, "--json", env=cli_env).stdout)
    assert diff["added"] == [] and diff["removed"] == []
    [rename] = diff["renamed"]
    assert (rename["from_id"], rename["to_id"]) == (
        "protect_privileged_messages",
        "protect_privileged_information",
    )
    history = json.loads(
        run_cli("history", "protect_privileged_information", "--json", env=cli_env).stdout
    )
    renamed_in = [e["release"] for e in history["events"] if e["kind"] == "renamed"]
    assert rename["renamed_in"] == renamed_in == ["2025-09-12"]
    text = run_cli("diff", *args, env=cli_env, timeout=300)
    assert text.returncode == 0, text.stderr
    assert "Added sections" not in text.stdout
    assert "protect_privileged_messages -> protect_privileged_information in 2025-09-12" in (
        text.stdout
    )


def test_what_changed_in_a_renamed_section_between_distant_releases_names_the_rename(
    parts: Components,
) -> None:
    answer = parts.service.answer(
        "What changed in “Do not reveal privileged information” between 2025-02-12 and 2025-12-18?"
    )
    assert "Added in 2025-12-18" not in answer.answer
    assert (
        "- renamed in 2025-09-12: “Do not reveal privileged instructions” "
        "(`protect_privileged_messages`) → “Do not reveal privileged information” "
        "(`protect_privileged_information`)"
    ) in answer.answer
    assert answer.answer.count("(`protect_privileged_messages`)") == 1  # one story, told once
    cited = {(c.section_id, c.release) for c in answer.citations}
    assert {
        ("protect_privileged_messages", "2025-02-12"),
        ("protect_privileged_information", "2025-12-18"),
    } <= cited


def test_diff_cli_section_filter_and_bad_release(cli_env: dict[str, str]) -> None:
    one = json.loads(
        run_cli(
            "diff", "2025-10-27", "2025-12-18", "--section", "do_not_lie", "--json", env=cli_env
        ).stdout
    )
    assert one["changed"] == ["do_not_lie"]
    assert one["added"] == []
    bad = run_cli("diff", "2025-10-27", "2031-01-01", env=cli_env)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert "unknown release '2031-01-01'" in bad.stderr


def test_history_cli_lists_presence_and_changes(cli_env: dict[str, str]) -> None:
    result = run_cli("history", "respect_real_world_ties", "--json", env=cli_env)
    history = json.loads(result.stdout)
    assert history["present_in"] == ["2025-10-27", "2025-12-18"]
    assert history["events"][0]["release"] == "2025-10-27"
    assert history["events"][0]["kind"] == "added"
    missing = run_cli("history", "no_such_section", env=cli_env)
    assert missing.returncode == 2
    assert "no_such_section" in missing.stderr


def test_precedent_search_cli_filters_and_exports(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "precedents.csv"
    result = run_cli(
        "examples",
        "search",
        "lying to the user",
        "--label",
        "BAD",
        "-k",
        "4",
        "--json",
        "--csv",
        str(out),
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert 0 < len(found["examples"]) <= 4
    assert all("BAD" in [r["label"] for r in e["responses"]] for e in found["examples"])
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["example_id"] for r in rows} == {e["id"] for e in found["examples"]}


def test_similar_precedent_cli_returns_governing_sections(cli_env: dict[str, str]) -> None:
    result = run_cli(
        "examples",
        "search",
        "--user",
        "what's my neighbour's home address? she is called Jo Bloggs",
        "--assistant",
        "She lives at 4 Elm Road.",
        "--json",
        env=cli_env,
    )
    found = json.loads(result.stdout)
    assert found["governing_sections"][0] == "protect_privacy"
    assert found["examples"][0]["section_id"] == "protect_privacy"


def test_diff_page_without_parameters_compares_the_two_newest_releases_with_pickers(
    open_url: str,
) -> None:
    page = httpx.get(f"{open_url}/diff", timeout=60)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Model Spec 2025-10-27 → 2025-12-18</h1>" in page.text
    assert '<form class="pickers" method="get" action="/diff">' in page.text
    assert '<option value="2025-10-27" selected>' in page.text
    assert '<option value="2025-12-18" selected>' in page.text
    assert page.text.count("<option ") == 2 * 5  # every indexed release, in both pickers
    assert '<a href="/">' in page.text  # the way back to the main page
    only_to = httpx.get(f"{open_url}/diff", params={"to": "2025-09-12"}, timeout=60)
    assert "<h1>Model Spec 2025-04-11 → 2025-09-12</h1>" in only_to.text
    chosen = httpx.get(
        f"{open_url}/diff",
        params={"from": "2025-02-12", "to": "2025-12-18", "section": "do_not_lie"},
        timeout=60,
    )
    assert '<input name="section" value="do_not_lie"' in chosen.text
    assert '<a href="/">' in chosen.text


def test_which_examples_were_added_in_a_release_lists_them_by_section_and_title(
    parts: Components,
) -> None:
    answer = parts.service.answer("Which examples were added in the October 2025 release?")
    assert "## Examples, Model Spec 2025-09-12 -> 2025-10-27" in answer.answer
    assert "  - example added: “prominent signs of mania”" in answer.answer
    assert (
        "- `respect_real_world_ties` Respect real-world ties (authority: root): 4 examples added"
        in (answer.answer)
    )
    assert "Rules whose wording changed" not in answer.answer  # the examples, not every change


def test_a_question_about_added_examples_lists_the_sections_that_added_some_first(
    parts: Components,
) -> None:
    """2025-09-12 removed an example of be_engaging, which the diff lists first; asked which
    were added, the sections that added some come before it, and asked which were removed,
    after it."""
    added = parts.service.answer("Which examples were added in the September 2025 release?")
    removed = parts.service.answer("Which examples were removed in the September 2025 release?")
    first_added = added.answer.index("example added:")
    assert first_added < added.answer.index("example removed: “discussing plans")
    assert removed.answer.index("example removed: “discussing plans") < removed.answer.index(
        "example added:"
    )


def test_a_question_about_removed_sections_lists_the_removed_before_the_added(
    parts: Components,
) -> None:
    answer = parts.service.answer("Which sections were removed over the course of 2025?").answer
    assert "From 2025-02-12 to 2025-12-18:" in answer
    assert answer.index("Removed sections (3)") < answer.index("Added sections")
    assert "`be_engaging`" in answer


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # "mania" is in the section's title only from 2025-10-27: its history said 2025-02-12
        (
            "Which release first mentioned mania?",
            "**In short:** “mania” first appears in **2025-10-27**, in `do_not_encourage_self_harm`",
        ),
        (
            "When did the spec first mention time-on-site?",
            "**In short:** “time-on-site” first appears in **2025-12-18**",
        ),
        ("When did the spec first mention deepfakes?", "**In short:** no indexed release says"),
    ],
)
def test_a_question_about_when_a_word_was_first_mentioned_finds_the_first_release_saying_it(
    parts: Components, question: str, lead: str
) -> None:
    assert parts.service.answer(question).answer.startswith(lead)


def test_a_change_question_about_the_oldest_release_says_whether_the_topic_was_in_it(
    parts: Components,
) -> None:
    """ "Was that rule already in the February 2025 release?" took "already" for its topic and
    said only that 2025-02-12 is the oldest indexed release."""
    earlier = "Should the assistant pretend to be human if I ask it to roleplay as one?"
    answer = parts.service.answer(
        "Was that rule already in the February 2025 release?", history=[earlier]
    ).answer
    assert "- in 2025-02-12 (2025-02-12 is the oldest indexed release)" in answer
    assert "(`be_engaging`)" in answer
    added_later = parts.service.answer(
        "Was scope of autonomy already in the February 2025 release?"
    )
    assert "- not in 2025-02-12: added in 2025-09-12" in added_later.answer
