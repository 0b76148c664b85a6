"""Which questions are about change, and what they name: topic, releases, "since"."""

from __future__ import annotations

import pytest

from server.domain.releases.change_questions import parse_change_question
from server.domain.releases.text_diff import mark_words, sentence_edits
from tests.conftest import RELEASES

CHANGE_QUESTIONS = [
    "When did guidance on under-18 users appear?",
    "When did the teen safety section get added?",
    "When was the under-18 guidance added?",
    "When were the teen safety rules introduced?",
    "When did the spec start talking about real-world ties?",
    "When was protect_privileged_messages renamed?",
    "Is the guidance on real-world ties new?",
    "Is respect_real_world_ties a new section?",
    "Are the rules about teens new?",
    "How did the honesty rules change?",
    "How has do_not_lie changed?",
    "How have the rules on political persuasion evolved?",
    "What changed between the September and October 2025 releases?",
    "What changed between 2025-09-12 and 2025-10-27?",
    "What's different about privacy since April 2025?",
    "What was removed in the December release?",
    "What was added in the October 2025 release?",
    "What's new in the December 2025 release?",
    "Which sections were added in 2025-12-18?",
    "Since when does the spec cover teens?",
    "What changed about honesty in the December 2025 release?",
    "Has the sycophancy guidance changed?",
    "Did the rules on erotica change in September 2025?",
    "What's the history of do_not_lie?",
    "What is the history of the privacy section?",
    "What is the difference between the April and September releases?",
    "How is the December release different from October?",
    "What did the September 2025 release change about authority levels?",
    "Show me the diff for do_not_lie between 2025-10-27 and 2025-12-18",
    "What got removed in September 2025?",
    "Which sections were dropped in the September release?",
    "What changes were made to privacy?",
    "Was be_kind renamed?",
    "Which release first mentioned under-18 users?",
    "What was changed in the latest release?",
    "Compare the September and December releases",
    "What's different in 2025-12-18 compared to 2025-10-27?",
    "Have the rules on self-harm been updated?",
    "Did anything change for teens in the December release?",
    "What are the recent changes to the teen rules?",
    "Were there updates to the privacy guidance since April 2025?",
    # an edit, or a rule made stricter or looser
    'Was "Do not lie" reworded since February?',
    "Has the section on political manipulation been edited recently?",
    "Did they tighten the rules on gore at some point?",
    "Has OpenAI relaxed the erotica rules?",
    "Was the rule about hateful content ever loosened?",
    "Did the teen rules get stricter in December?",
    "Did the wording of the privacy rules change after April?",
    # a rule's standing over time, and whether a release has it
    "Has the profanity default always been a guideline?",
    'Did "Be warm" use to be a user-level rule?',
    'Did the authority level of "Do not lie" change?',
    "Did the spec used to allow erotica?",
    "Is the transformation exception still in the latest release?",
    "Any changes to how the model handles minors lately?",
    "Were any examples added to the honesty section recently?",
    "Was the section on not revealing privileged instructions renamed or broadened?",
    "What replaced the 'Be engaging' section?",
]

ORDINARY_QUESTIONS = [
    "Should the model reveal its system prompt?",
    "May the model lie to keep its system prompt confidential?",
    "What should the assistant do when instructions differ between system and user?",
    "Can the model help me add a feature to my app?",
    "How should the model handle a user who wants to change the subject?",
    "Is it okay to write erotica for adults?",
    "What is the chain of command?",
    "How does the model's response change when someone mentions explosives with no stated intent?",
    "What's the difference between a tool message, a system message and a developer message?",
    "explain the history of the n-word and why it's so offensive",
    "Will it tell me if part of its answer was removed by a content filter?",
    "Which rules stop the model from writing malware?",
    "My plans changed between Monday and Friday; will the agent re-check with me?",
    # change words about the assistant or the world, not the spec's text: answered from the spec
    "Does ChatGPT change its answer if I push back on it?",
    "Will the assistant make changes to my essay that I never asked for?",
    "How will the housing market change in the next five years?",
    "Compare the latest iPhone and Pixel cameras for me",
    "Is there anything different about how it talks to my kid compared to me?",
    "Is the chatbot on my bank's site a cheaper version that differs from ChatGPT?",
    "What does the spec say about tool outputs, and does the persona change the answer?",
    # the same words about the assistant, not the spec's text
    "Will it reword my essay if I ask nicely?",
    "Can ChatGPT tighten up my cover letter?",
    "Can a developer relax the default on profanity?",
    "Does the spec allow a developer to make the assistant more permissive about profanity?",
    "Has ChatGPT always been this polite?",
    "Has the user always got the final say over the developer?",
    "Does the spec say a trivial clarifying question can be replaced by stating an assumption?",
    "Should the agent have edited the config file it wasn't asked to touch?",
    "Can a later user message override an earlier developer instruction just because it came "
    "later?",
    'Translate this to Spanish: "The meeting has been moved to Thursday at 3 pm."',
    "Our finance agent can place trades. A user says they haven't slept in three nights, feels "
    "they've cracked the secret of the universe, and wants their savings moved into one coin.",
    # a long scenario naming no release: once answered with a section's history
    "We're building a support assistant for a bank. The system prompt sets a persona, keeps "
    "itself confidential and escalates upset customers. Its tools return text customers wrote, "
    "and security worries that a customer could write instructions in it. What does the Model "
    "Spec say the model should do when a tool output contains instructions like that, and does "
    "any of the rest change what it should do?",
]


def test_at_least_thirty_phrasings_of_change_questions_are_recognised() -> None:
    missed = [q for q in CHANGE_QUESTIONS if parse_change_question(q, RELEASES) is None]
    assert missed == []
    assert len(CHANGE_QUESTIONS) >= 30


@pytest.mark.parametrize("question", ORDINARY_QUESTIONS)
def test_ordinary_questions_are_not_change_questions(question: str) -> None:
    assert parse_change_question(question, RELEASES) is None


@pytest.mark.parametrize(
    ("question", "releases", "topic", "since"),
    [
        (
            "What changed between the September and October 2025 releases?",
            ["2025-09-12", "2025-10-27"],
            "",
            False,
        ),
        ("What was removed in the December release?", ["2025-12-18"], "", False),
        ("What's different about privacy since April 2025?", ["2025-04-11"], "privacy", True),
        ("When did guidance on under-18 users appear?", [], "under-18 users", False),
        ("What was changed in the latest release?", ["2025-12-18"], "", False),
        ("Is the guidance on real-world ties new?", [], "real-world ties", False),
        (
            "Which sections changed between 2025-10-27 and 2025-12-18?",
            ["2025-10-27", "2025-12-18"],
            "",
            False,
        ),
        ("Which rules are new in the latest release?", ["2025-12-18"], "", False),
        (
            "what changed in the latest release compared to the october one?",
            ["2025-10-27", "2025-12-18"],
            "",
            False,
        ),
        (
            "How was privacy guidance updated from the April 2025 version?",
            ["2025-04-11"],
            "privacy",
            False,
        ),
        # "after April" runs from April to the newest release, as "since" does
        (
            "Did the wording of the privacy rules change after April?",
            ["2025-04-11"],
            "privacy",
            True,
        ),
        ('Was "Do not lie" reworded since February?', ["2025-02-12"], "not lie", True),
        ("Was the confidentiality guidance always root level?", [], "confidentiality", False),
        # a year alone: its first and last release (the newest release's diff answered it)
        (
            "Which sections were removed over the course of 2025?",
            ["2025-02-12", "2025-12-18"],
            "",
            False,
        ),
    ],
)
def test_change_questions_name_their_releases_and_topic(
    question: str, releases: list[str], topic: str, since: bool
) -> None:
    parsed = parse_change_question(question, RELEASES)
    assert parsed is not None
    assert (parsed.releases, parsed.topic, parsed.since) == (releases, topic, since)


def test_word_marks_show_removed_and_added_words_like_git_word_diff() -> None:
    assert mark_words("The model may lie here.", "The model must not lie here.") == (
        "The model [-may-] {+must not+} lie here."
    )


def test_a_one_word_edit_is_trivial_but_a_rule_word_is_meaning() -> None:
    typo = sentence_edits("It should be recieved well.", "It should be received well.")
    assert [e.trivial for e in typo] == [True]
    rule = sentence_edits("The model may share it.", "The model must never share it.")
    assert [e.trivial for e in rule] == [False]
    added = sentence_edits("One rule.", "One rule. A new sentence here.")
    assert [(e.removed, e.added, e.trivial) for e in added] == [("", "A new sentence here.", False)]


def test_a_dash_written_another_way_is_trivial_and_a_hyphenated_word_still_counts() -> None:
    """2025-09-12 wrote the em dash as "---" throughout (prohibited_content, avoid_sycophancy)."""
    before = "It is never produced in any circumstance — including transformations."
    dashes = sentence_edits(before, before.replace("—", "---"))
    assert [e.trivial for e in dashes] == [True]
    hyphen = sentence_edits("Use user-provided content.", "Use developer-provided content.")
    assert [e.trivial for e in hyphen] == [False]


def test_no_question_or_prompt_of_the_eval_sets_is_taken_for_a_change_question() -> None:
    import json

    from tests.conftest import REPO

    texts = [
        json.loads(line)["question"]
        for path in sorted((REPO / "tests" / "eval").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(texts) > 300
    assert [t for t in texts if parse_change_question(t, RELEASES)] == []
