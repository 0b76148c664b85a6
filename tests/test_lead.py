"""What an answer leads with, on every surface: the short answer and the curated question it comes
from, "not covered" for a question the spec does not govern, no padding among the citations, and a
notice when an LLM answer was asked for with no LLM configured."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from server.composition.components import Components
from server.domain.answering.lead import CITE_GAP, Lead, decide_lead, trim_citations
from server.domain.answering.lead_text import NO_EXAMPLE, NOT_COVERED
from server.domain.answering.short_answer import SHORT_ANSWER_COSINE, _negations
from server.domain.evaluation.left_out import short_answers_left_out
from server.domain.retrieval.chunks import TOPIC_SECTIONS
from server.domain.retrieval.query_cues import (
    TOPIC_CUES,
    about_the_assistant,
    asks_for_sections,
    content_free,
    may_concern_minors,
    mentions_risk,
    names_an_example,
    speaks_of_own_harm,
)
from server.domain.schemas import Answer, ShortAnswer
from server.edge.rendering import render_chat_markdown
from server.mcp.briefs import answer_brief
from server.mcp.settings import McpSettings
from server.mcp.tools import build_mcp
from server.slack.compact import compact_message
from specqa.core.question_bank import ShortAnswerValue
from tests.conftest import RELEASES, REPO, parsed, run_cli

# a bank question, as written (its closest rival answer is far: the margin holds across retunes)
CURATED = "is it gonna give me a whole poem by a living poet if i ask nicely"
REVERSED = "Will ChatGPT refuse to give me a whole poem by a living poet if I ask nicely?"


def _short_from_one(parts: Components, question: str, curated: str) -> ShortAnswer | None:
    """The short answer with ``curated`` the only curated question retrieved: how the question is
    asked, not which other entries sit near it (the tuned model moves those), decides it."""
    ranked = parts.service.retrieve(parts.service.prepare(question))
    only = [match for match in ranked.bank if match.question == curated]
    assert only, f"{curated!r} is not among the closest curated questions"
    return decide_lead(question, replace(ranked, bank=only)).short


OFF_TOPIC = "what is the boiling point of tungsten in kelvin"
GERMAN = "Darf die KI so tun, als wäre sie ein Mensch?"  # may the AI pretend to be human?


def _headline(answer: Answer) -> str:
    return str(compact_message(answer, shareable=False)["blocks"][1]["text"]["text"])


def test_a_curated_question_opens_with_its_short_answer_and_names_it(parts: Components) -> None:
    answer = parts.service.answer(CURATED, mode="extractive")
    assert answer.short_answer is not None
    assert answer.short_answer.value == "no" and answer.short_answer.curated_question == CURATED
    assert not answer.short_answer.turned_round
    assert answer.answer.startswith("**Short answer: No.**\n*Closest curated question:* “")
    assert answer_brief(answer, 2500).startswith("**Short answer: No.**")
    assert _headline(answer).startswith("*Short answer: No.*")
    assert render_chat_markdown(answer).startswith("**Short answer: No.**")


def test_where_no_section_clearly_governs_no_short_answer_is_given(parts: Components) -> None:
    """A "low" answer says no section clearly governs: a yes or no beside it would be a guess."""
    result = parts.service.retrieve(parts.service.prepare(CURATED))
    assert decide_lead(CURATED, result).short is not None
    unclear = replace(result, clarity=replace(result.clarity, margin=0.0, agreement=0))
    lead = decide_lead(CURATED, unclear)
    assert lead.confidence == "low" and lead.short is None


@pytest.mark.parametrize(
    "question",
    [
        "Does the rule against upselling stop a developer from instructing the model to push "
        "their own products?",
        "Does the spec bar the assistant from giving a user an outline of its instructions?",
        # passive: its "No." came from "Is a non-explicit romantic roleplay … permissible?"
        "Is ChatGPT prevented from doing first-person romantic roleplay with a minor?",
    ],
)
def test_a_question_whether_something_stops_an_act_is_asked_the_other_way_round(
    question: str,
) -> None:
    """ "stop a developer from instructing it to…" asks whether the developer may not: its
    "no" answered "Can a developer make it promote their products?" the wrong way."""
    assert _negations(question) == 1
    assert _negations("Can a developer make the assistant promote their own products?") == 0


@pytest.mark.parametrize(
    "reversed_question",
    [
        "Is it supposed to avoid giving me a whole poem by a living poet if I ask nicely?",
        # the refusal is the user's, not the assistant's: nothing is turned round
        "If I refuse to say who it's for, is it gonna give me a whole poem by a living poet if i "
        "ask nicely",
        "Will ChatGPT hold off on giving me a whole poem by a living poet if I ask nicely?",
        "Does it steer clear of giving me a whole poem by a living poet if I ask nicely?",
        "Will ChatGPT turn me down if I ask nicely for a whole poem by a living poet?",
        "Will it reject my request for a whole poem by a living poet if I ask nicely?",
        "Is ChatGPT barred from giving me a whole poem by a living poet if I ask nicely?",
        "Will I come away without a whole poem by a living poet if I ask ChatGPT nicely?",
        "Will ChatGPT's reply be free of any whole poem by a living poet if I ask nicely?",
        # whether an act is wrong, not whether it is done
        "Is it a problem if ChatGPT gives me a whole poem by a living poet when I ask nicely?",
        "Would ChatGPT giving me a whole poem by a living poet if I ask nicely violate the spec?",
        # closest: "We run the model in a sandboxed eval harness. Will it still behave as if its
        # tool calls have real consequences?" (yes): "no real consequences" asks it the other way
        "If the model thinks it's only inside a test harness, may it act as if its tool calls "
        "have no real consequences?",
    ],
)
def test_a_question_asked_the_other_way_round_gets_no_guessed_short_answer(
    parts: Components, reversed_question: str
) -> None:
    answer = parts.service.answer(reversed_question, mode="extractive")
    assert answer.covered and answer.bottom_line is not None
    assert answer.short_answer is None
    assert "Short answer" not in answer.answer


@pytest.mark.parametrize(
    "question",
    # a negative opening asks what the positive question asks ("Won't it…?" as "Will it…?")
    [
        REVERSED,
        "Won't it refuse to give me a whole poem by a living poet if I ask nicely?",
        # refusing in other words
        "Would ChatGPT turn me down if I asked nicely for a whole poem by a living poet?",
    ],
)
def test_a_question_about_refusing_takes_the_opposite_of_the_curated_answer_it_turns_round(
    parts: Components, question: str
) -> None:
    """ "Will it refuse to give me…?" asks the curated "is it gonna give me…?" (no) the other way
    round, and only that: its answer is yes, shown with the curated question it came from. Any
    other negation, or one more, still lends nothing (above)."""
    short = _short_from_one(parts, question, CURATED)
    assert short is not None and (short.value, short.curated_question) == ("yes", CURATED)
    assert short.turned_round
    # the whole path, as every surface shows it
    answer = parts.service.answer(REVERSED, mode="extractive")
    assert answer.short_answer is not None and answer.short_answer.turned_round
    assert answer.answer.startswith(
        "**Short answer: Yes.**\n*Closest curated question, asked the other way round (answered "
        f"No):* “{CURATED}”"
    )
    assert _headline(answer).startswith("*Short answer: Yes.*")


def test_ignoring_an_instruction_is_asked_the_same_way_round_as_refusing_it(
    parts: Components,
) -> None:
    """ "Will the model ignore one of my developer instructions…?" (no) was turned round for
    "…refuse one of my developer instructions…?", and answered "Yes."."""
    curated = (
        "Will the model ignore one of my developer instructions just because it thinks the "
        "instruction is a bad business decision?"
    )
    asked = curated.replace("ignore", "refuse")
    short = _short_from_one(parts, asked, curated)
    assert short is not None and short.value == "no" and not short.turned_round


def test_a_negation_inside_what_is_asked_is_not_taken_for_asking_the_other_way_round(
    parts: Components,
) -> None:
    # the closest curated question is "will chatgpt refuse to just say 'i don't know' when it
    # doesn't?" (no): an odd count of negations each, but only that one asks "refuse"
    answer = parts.service.answer("Is the model allowed to say it doesn't know?")
    assert answer.short_answer is None or answer.short_answer.value == "yes"


@pytest.mark.parametrize(
    "question",
    [
        # "…off the table for a user the model believes is under 18?" (yes) answered "Is it
        # acceptable for a 16-year-old?" with "Yes."
        "Is intermittent fasting advice off the table for a user under 18?",
        "Are stories like that off-limits for it?",
        "Is that out of bounds for a customer-service bot?",
        "Would the spec call that unacceptable?",
        "Is it disallowed for the model to write it?",
        # "…onto a refusal?" (no) answered "Our bot's refusals add a moral lesson. Does the spec
        # rule that style out?" with "No."
        "Does the spec rule that style out?",
    ],
)
def test_asking_whether_an_act_is_off_limits_is_asked_the_other_way_round(question: str) -> None:
    assert _negations(question) == 1


def test_a_refusal_named_as_a_thing_does_not_turn_the_question_round() -> None:
    """ "…tack a little moral lesson onto a refusal?" asks of what a refusal says, not whether
    the model refuses."""
    assert _negations("Is it okay for the model to tack a moral lesson onto a refusal?") == 0
    assert _negations("Will it refuse to tack a moral lesson on?") == 1


def test_a_curated_question_about_refusing_is_not_turned_round_for_one_about_refusing(
    parts: Components,
) -> None:
    """ "will chatgpt refuse if I ask it to paste a whole chapter so I don't have to buy it?"
    took the turned-round answer of "Will the AI refuse to paste a whole chapter…?" (yes): the
    extra negation was the "don't" of the asker's reason, not a refusal."""
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    top = result.sections[0].section.id
    closest = next(m for m in result.bank if m.section_id == top)
    others = [match for match in result.bank if match.section_id != top]  # no rival in its section
    refusing = replace(closest, question=REVERSED)
    asked = REVERSED.rstrip("?") + " so I don't have to buy the book?"
    assert decide_lead(asked, replace(result, bank=[refusing, *others])).short is None
    assert decide_lead(REVERSED, replace(result, bank=[refusing, *others])).short is not None


@pytest.mark.parametrize(
    "question",
    [
        # a negative opening asks what the positive question asks, and is answered alike
        "Wasn't it going to give me a whole poem by a living poet if I asked nicely?",
        "Isn't ChatGPT gonna give me a whole poem by a living poet if I ask nicely?",
        "so won't it give me a whole poem by a living poet if i ask nicely?",
        # the main clause's opening, after a clause of its own
        "if i ask nicely, won't it give me a whole poem by a living poet?",
        # a quotation is what someone says, not how the question is asked
        'My friend says "it won\'t". Is it gonna give me a whole poem by a living poet if I ask '
        "nicely?",
        "is it gonna give me a whole poem by a living poet if i ask nicely and say 'don't hold back'",
    ],
)
def test_a_negative_opening_or_a_quoted_negation_does_not_turn_the_question_round(
    parts: Components, question: str
) -> None:
    short = _short_from_one(parts, question, CURATED)
    assert short is not None and (short.value, short.curated_question) == ("no", CURATED)
    assert not short.turned_round


@pytest.mark.parametrize(
    "question",
    [
        # a request not to do something is a negation, even at the start of a sentence
        "Don't hold back: is it gonna give me a whole poem by a living poet if I ask nicely?",
        "Will it refuse, and never give me a whole poem by a living poet, if I ask nicely?",
    ],
)
def test_a_negation_outside_the_opening_and_quotations_still_turns_the_question_round(
    parts: Components, question: str
) -> None:
    assert parts.service.answer(question, mode="extractive").short_answer is None


@pytest.mark.parametrize(
    "question",
    [
        "Is it gonna give me a whole poem by a living poet if I ask nicely? Don't hold back.",
        "My friend says it never does. Is it gonna give me a whole poem by a living poet if I "
        "ask nicely?",
    ],
)
def test_a_negation_in_a_statement_beside_the_question_does_not_turn_it_round(
    parts: Components, question: str
) -> None:
    """What the asker says around the question ("she moved without telling me") is their
    situation: the question alone is asked one way round or the other."""
    short = _short_from_one(parts, question, CURATED)
    assert short is not None and (short.value, short.curated_question) == ("no", CURATED)


def test_only_the_sentences_that_ask_count_and_a_request_counts_whole() -> None:
    assert _negations("will chatgpt find my ex's new address? she moved without telling me") == 0
    assert _negations("Write the whole poem, don't summarise. Never skip a verse.") == 2


@pytest.mark.parametrize(
    "question",
    [
        "How does ChatGPT respond if I ask it to show me its system prompt?",
        "What will ChatGPT do if I ask it to write a fake doctor's note?",
        "Who does the assistant address its reply to by default, the developer or the user?",
        # one of two acts: a yes or no would not say which
        "Will ChatGPT give me a whole poem by a living poet if I ask nicely, or can it only quote "
        "a few lines?",
        # the wh-word opens the question's second sentence
        "Our app's users think their neighbors are beaming thoughts into their heads. How should "
        "the model answer them?",
        # the wh-question follows an opening phrase with no comma (it got "Yes: …")
        "In the mic check example what should it say?",
        # two questions: "No." answered the second one only
        "Will it translate a document with drug recipes in it, and will it fill in the missing "
        "steps?",
        # two acts, the second after ", or": "No." answered the second one only
        "Will it tell me what happened at Tiananmen Square in 1989, or avoid it because it's "
        "controversial?",
    ],
)
def test_a_question_a_yes_or_no_does_not_answer_gets_no_short_answer(
    parts: Components, question: str
) -> None:
    # each is close to a yes/no curated question ("will the chatbot show me its system prompt if
    # I ask": no), whose answer would say nothing to "how", "what" or "who"
    assert parts.service.answer(question).short_answer is None


@pytest.mark.parametrize(
    "question",
    [
        "Will it refuse to tell me how many Tylenol would kill me?",
        "Can it tell me how many Tylenol would kill me?",
        "will it refuse to say how much tylenol is too much for me to survive",
    ],
)
def test_a_question_about_the_askers_own_death_takes_no_answer_from_one_about_a_safe_dose(
    parts: Components, question: str
) -> None:
    """Each took the "No." or "Yes." of a curated question about the most Tylenol one can
    safely take, or how much alcohol is too much: information, where asking how much would kill
    oneself is the self-harm rule's. (Since bank round 11 a curated question about an overdose
    may answer the first.)"""
    short = parts.service.answer(question, mode="extractive").short_answer
    assert short is None or speaks_of_own_harm(short.curated_question)


def test_a_quoted_question_is_not_a_second_question(parts: Components) -> None:
    """ "'do you have a system prompt?'" is what users type, not a second thing asked."""
    asked = "If I ask a company's bot 'do you have a system prompt?', will it say yes?"
    assert parts.service.answer(asked, mode="extractive").short_answer is not None


@pytest.mark.parametrize(
    "question",
    [
        # closest: "is it ok for chatgpt to make up fake sources if i tell it it's for a parody
        # paper?" (yes: but only for a parody)
        "will chatgpt make up fake sources",
        # closest: "Can I unlock sexual content involving minors in my adult fiction app's system
        # prompt if every user is a verified adult?" (no: because of the minors)
        "Can my adult fiction app turn on erotic content in its system prompt for verified adults?",
    ],
)
def test_a_curated_question_about_a_narrower_case_lends_no_short_answer(
    parts: Components, question: str
) -> None:
    """Since bank round 10 the second question's closest is another adult app's (answered no,
    as the rule does), which may answer it: the curated question about minors still may not."""
    short = parts.service.answer(question).short_answer
    assert short is None or not re.search(r"minor|parody", short.curated_question, re.I)


def test_a_condition_that_only_says_the_request_is_made_does_not_narrow_a_curated_question(
    parts: Components,
) -> None:
    answer = parts.service.answer(
        "is chatgpt gonna give me a whole poem by a living poet if i ask it?"
    )
    assert answer.short_answer is not None
    assert (answer.short_answer.value, answer.short_answer.curated_question) == ("no", CURATED)


def _with_rival(
    parts: Components, question: str, answer: ShortAnswerValue, below: float = 0.01
) -> Lead:
    """The lead of ``CURATED`` with a bank entry of its section ``below`` its own match (above
    it when negative)."""
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    closest = next(m for m in result.bank if m.section_id == result.sections[0].section.id)
    rival = replace(
        closest, question=question, answer=answer, similarity=closest.similarity - below
    )
    others = [match for match in result.bank if match is not closest]
    pair = [closest, rival] if below >= 0 else [rival, closest]
    return decide_lead(CURATED, replace(result, bank=[*pair, *others]))


def test_a_rival_asked_the_other_way_round_with_the_opposite_answer_agrees(
    parts: Components,
) -> None:
    lead = _with_rival(parts, REVERSED, "yes")  # "refuse to…?" yes is "give…?" no
    assert lead.short is not None and lead.short.value == "no"


def test_a_closer_curated_question_asked_the_other_way_round_lends_nothing_and_may_agree(
    parts: Components,
) -> None:
    """The closest curated question asked the same way round answers; one closer but asked the
    other way (or about another sentence) only withholds the answer when it would differ."""
    agrees = _with_rival(parts, REVERSED, "yes", below=-0.01)  # "refuse to…?" yes is "give…?" no
    assert agrees.short is not None
    assert (agrees.short.value, agrees.short.curated_question) == ("no", CURATED)
    assert _with_rival(parts, REVERSED, "no", below=-0.01).short is None


def test_a_close_rival_that_answers_otherwise_withholds_the_short_answer(
    parts: Components,
) -> None:
    assert _with_rival(parts, REVERSED, "no").short is None  # "refuse to…?" no is "give…?" yes
    assert _with_rival(parts, "Will it give me a whole poem by a living poet?", "yes").short is None


def test_the_next_closest_curated_questions_of_the_section_must_answer_the_same_way(
    parts: Components,
) -> None:
    """Past the margin, a curated question about another act of the same rule ("…in the style of
    a living poet?": yes) still withholds the short answer, unless it is far from the closest."""
    other_act = "Will it write me a poem in the style of a living poet?"
    assert _with_rival(parts, other_act, "yes", below=0.3).short is None
    far = _with_rival(parts, other_act, "yes", below=0.6).short
    assert far is not None and far.value == "no"
    assert _with_rival(parts, other_act, "no", below=0.3).short is not None  # it agrees


def test_a_curated_question_whose_sentence_the_release_no_longer_says_lends_no_short_answer(
    parts: Components,
) -> None:
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    assert decide_lead(CURATED, result).short is not None
    stale = [replace(m, sentence=None) if m.question == CURATED else m for m in result.bank]
    assert decide_lead(CURATED, replace(result, bank=stale)).short is None


def test_a_curated_question_about_what_a_rule_covers_lends_no_short_answer_to_one_about_the_model(
    parts: Components,
) -> None:
    """ "Does the regulated-advice principle cover financial matters…?" (yes) answered "Can the
    model give medical or legal advice in my health app?" with "Yes."; asked of the rule itself,
    it still answers."""
    asked = parts.service.answer("Can the model give medical or legal advice in my health app?")
    assert asked.short_answer is None
    scope = parts.service.answer("Does the regulated-advice principle cover financial matters too?")
    assert scope.short_answer is not None and scope.short_answer.value == "yes"


def test_a_question_about_always_or_the_only_case_and_one_that_is_not_lend_no_short_answer(
    parts: Components,
) -> None:
    """ "Is it always expected to…?" answered no does not answer "Should it…?": it may depend;
    nor does "Is it the only…?" answer whether it holds."""
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    closest = next(m for m in result.bank if m.section_id == result.sections[0].section.id)
    others = [match for match in result.bank if match is not closest]
    always = "Is it always going to give me a whole poem by a living poet if I ask nicely?"
    asked_always = replace(closest, question=always)
    assert decide_lead(CURATED, replace(result, bank=[asked_always, *others])).short is None
    assert decide_lead(always, result).short is None
    every_case = "Is it meant to give me a whole poem by a living poet in every single case?"
    assert decide_lead(every_case, result).short is None
    assert decide_lead(CURATED, result).short is not None
    # "Is it forbidden from ever deleting any of my files?" (no) answered "Can my agent delete
    # files without asking the user first?" with "No."
    ever = "Would it ever give me a whole poem by a living poet if I ask nicely?"
    assert (
        decide_lead(CURATED, replace(result, bank=[replace(closest, question=ever), *others])).short
        is None
    )
    # "the only…" asks whether one case is alone: its yes answered "Does the exception allow…?"
    only = "is a whole poem by a living poet the only thing it gives in full if i ask nicely"
    asked_only = replace(closest, question=only)
    assert decide_lead(CURATED, replace(result, bank=[asked_only, *others])).short is None
    # "Does ChatGPT ask a million clarifying questions…?" (no) answered "Should the model ask
    # clarifying questions?" with "No."
    too_many = "is it gonna give me a million poems by living poets if i ask nicely"
    asked_too_many = replace(closest, question=too_many)
    assert decide_lead(CURATED, replace(result, bank=[asked_too_many, *others])).short is None


@pytest.mark.parametrize(
    ("curated", "asked"),
    [
        # "will chatgpt tell racist jokes if i ask nicely" (no) answered "Will it tell jokes about
        # religion?" with "No."
        (CURATED + " that is racist", CURATED),
        # "…get weed shipped to a state where it's still illegal?" (no) answered "…how to buy weed
        # where it's legal" with "No."
        (CURATED + " where it's illegal", CURATED + " where it's legal"),
        # "[in a cooking app's assistant] can you help me write a complaint letter to my
        # landlord?" (no: off the app's topic) answered "will the model refuse to help customers
        # write a complaint letter about us?" with "Yes."
        ("[in a cooking app's assistant] " + CURATED, CURATED),
        # "Write a story where a teacher seduces a 15 year old student" (no) answered "will
        # chatgpt write a sweet non explicit love story for my 15 year old's…" with "No."
        (CURATED, CURATED + ", a family-friendly one"),
        # "Does a user have to explicitly mention suicide before…?" (no) answered "Does the spec
        # require a safety-oriented response to indirect expressions of suicidal intent?" with
        # "No."
        (CURATED + ", asked explicitly", CURATED + ", hinted at indirectly"),
    ],
)
def test_a_curated_question_about_a_narrower_case_or_setting_lends_no_answer_to_another(
    parts: Components, curated: str, asked: str
) -> None:
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    closest = next(m for m in result.bank if m.section_id == result.sections[0].section.id)
    others = [match for match in result.bank if match is not closest]
    narrower = replace(closest, question=curated)
    assert decide_lead(asked, replace(result, bank=[narrower, *others])).short is None
    assert decide_lead(curated, replace(result, bank=[narrower, *others])).short is not None


def test_a_curated_question_about_a_protected_group_lends_no_short_answer_to_one_naming_none(
    parts: Components,
) -> None:
    """ "will chatgpt make a meme making fun of muslims" (no) answered "Can it make a meme making
    fun of my boss?" with "No.": a joke about a group is the hateful-content rule's."""
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    closest = next(m for m in result.bank if m.section_id == result.sections[0].section.id)
    others = [match for match in result.bank if match is not closest]
    of_a_group = replace(closest, question=CURATED + " about muslims")
    assert decide_lead(CURATED, replace(result, bank=[of_a_group, *others])).short is None
    shown = decide_lead(CURATED + " about muslims", replace(result, bank=[of_a_group, *others]))
    assert shown.short is not None


def test_a_curated_question_sharing_only_words_with_the_question_lends_no_short_answer(
    parts: Components,
) -> None:
    """Shared words bring a curated question closer, but its cosine must hold on its own: "…my
    coworker's LinkedIn" does not answer "…scrape LinkedIn profiles"."""
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    top = result.sections[0].section.id
    closest = next(m for m in result.bank if m.section_id == top)
    others = [match for match in result.bank if match.section_id != top]  # no rival in its section

    def lead_with(similarity: float) -> Lead:
        match = replace(closest, similarity=similarity, shared_words=1.0)
        return decide_lead(CURATED, replace(result, bank=[match, *others]))

    # close enough with its words, not by its meaning
    assert lead_with(SHORT_ANSWER_COSINE - 0.03).short is None
    shown = lead_with(SHORT_ANSWER_COSINE + 0.07).short
    assert shown is not None and shown.value == "no"


def test_the_short_answer_comes_from_the_first_section_s_closest_curated_question(
    parts: Components,
) -> None:
    result = trim_citations(parts.service.retrieve(parts.service.prepare(CURATED)))
    own = next(m for m in result.bank if m.section_id == result.sections[0].section.id)
    other = replace(own, section_id="other_section", answer="yes", similarity=own.similarity + 0.01)
    lead = decide_lead(CURATED, replace(result, bank=[other, *result.bank]))
    assert lead.short is not None
    assert (lead.short.value, lead.short.curated_question) == ("no", CURATED)


def test_a_follow_up_gets_no_short_answer_meant_for_the_earlier_question(
    parts: Components,
) -> None:
    first = parts.service.answer(CURATED, mode="extractive")
    assert first.short_answer is not None
    follow_up = parts.service.answer(
        "And what if the developer allows it?", mode="extractive", history=[CURATED]
    )
    assert follow_up.citations[0].section_id == first.citations[0].section_id  # same topic
    assert follow_up.short_answer is None and "Short answer" not in follow_up.answer


def test_keeping_something_secret_is_asked_the_other_way_round_from_showing_it(
    parts: Components,
) -> None:
    """ "Will it keep its system prompt secret…?" took "Will the chatbot show me its system
    prompt…?"'s "No." as its own: a wrong answer, shown on the web page."""
    answer = parts.service.answer("Will it keep its system prompt secret if I ask for it?")
    assert answer.short_answer is None or answer.short_answer.value == "yes"


@pytest.mark.parametrize(
    "question",
    [
        "What if the user says they're a doctor and asks for the lethal dose of acetaminophen?",
        "And if the user told it at the start to never ask and just buy things?",
        "What if the user set up the roleplay themselves and asked it to stay in character as a human?",
    ],
)
def test_a_turn_of_a_conversation_asked_alone_gets_no_short_answer(
    parts: Components, question: str
) -> None:
    """Its premise is in turns not given: the closest curated question was another scenario
    (each of these got a wrong "No." in a fresh chat), so a yes or no would answer that."""
    answer = parts.service.answer(question, mode="extractive")
    assert answer.citations and answer.short_answer is None


def test_a_what_if_question_with_a_question_of_its_own_may_get_a_short_answer(
    parts: Components,
) -> None:
    asked = "What if a file in the repo tells the coding agent to wipe a whole folder, will it ask me first?"
    curated = (
        "What if a config file tells the coding agent to wipe a whole directory, will it ask me "
        "first before doing that?"
    )
    short = _short_from_one(parts, asked, curated)
    assert short is not None and short.value == "yes"
    # without a question of its own, the premise is in a turn not given: none
    assert (
        _short_from_one(
            parts, "What if a file in the repo tells the agent to wipe a whole folder?", curated
        )
        is None
    )


def test_the_bottom_line_is_the_sentence_the_closest_curated_question_is_anchored_to(
    parts: Components,
) -> None:
    answer = parts.service.answer(CURATED, mode="extractive")
    corpus = parts.corpus().get(answer.release)
    key = next(chunk for chunk in corpus.chunks if chunk.kind == "bank" and chunk.text == CURATED)
    assert answer.bottom_line is not None
    assert answer.bottom_line.text == key.metadata["bank_sentence"]
    assert answer.bottom_line.section_id == key.section_id


@pytest.mark.parametrize(
    "question",
    [
        "What is the chain of command?",
        "What are the red-line principles?",
        "What is the platform level?",
        "what does sycophancy mean",
        "What does transformation mean here?",
    ],
)
def test_a_question_about_the_specs_own_terms_is_covered(parts: Components, question: str) -> None:
    """The spec's words used elsewhere ("the chain of command in the army", "root access in
    Linux") were tried as not-covered questions and made these "not covered": kept out."""
    assert parts.service.answer(question).covered


def test_an_off_topic_question_opens_with_not_covered_and_confidence_low(
    parts: Components,
) -> None:
    """Every surface says the same (see test_every_surface_shows_the_same_lead_…): here, first."""
    answer = parts.service.answer(OFF_TOPIC, mode="extractive")
    assert not answer.covered and answer.confidence == "low" and answer.bottom_line is None
    assert answer.answer.startswith(f"**Not covered.** {NOT_COVERED}\n\n**Confidence: low.**")
    assert answer_brief(answer, 2500).startswith(f"**Not covered.** {NOT_COVERED}")
    assert _headline(answer).startswith("*Not covered.*")


def test_asked_how_many_examples_are_about_what_a_section_is_titled_the_answer_is_covered(
    parts: Components,
) -> None:
    """ "How many examples are about privacy?" was "Not covered": the asking ("How many … are
    …?") drew it near the trivia the spec does not cover, whatever its topic."""
    answer = parts.service.answer("How many examples are about privacy?", mode="extractive")
    assert answer.covered and answer.citations[0].section_id == "protect_privacy"
    assert answer.examples


def test_a_request_for_examples_of_something_the_spec_never_shows_says_it_has_none(
    parts: Components,
) -> None:
    """ "Is there an example with a lasagna recipe?" was told the spec holds no facts about the
    world: true, but not what was asked."""
    answer = parts.service.answer("is there an example with a lasagna recipe", mode="extractive")
    assert not answer.covered and answer.examples == []
    assert answer.answer.startswith(f"**Not covered.** {NO_EXAMPLE}")
    assert answer_brief(answer, 2500).startswith(f"**Not covered.** {NO_EXAMPLE}")


def test_an_off_topic_answer_with_one_closest_section_names_it_in_the_singular(
    parts: Components,
) -> None:
    service = parts.service
    ready = service.prepare(OFF_TOPIC, None, "extractive")
    ranked = service.retrieve(ready)
    gathered = service.gather(ready, replace(ranked, sections=ranked.sections[:1]))
    answer = service.compose(ready, gathered, service.decide(ready, gathered))
    line = next(line for line in answer.answer.splitlines() if "the closest section" in line)
    assert not answer.covered and line.count("](") == 1
    assert "the closest section is [" in line


def test_an_off_topic_answer_never_points_a_harmless_question_to_the_limits_on_harm(
    parts: Components,
) -> None:
    """ "How do I make fluffy pancakes?" was told its closest section was information hazards,
    and "Write a Python function…" disallowed content."""
    for question in (
        "How do I make fluffy pancakes?",
        "Write a Python function to reverse a string",
    ):
        answer = parts.service.answer(question, mode="extractive")
        assert not answer.covered
        named = (
            answer.answer.split("If you meant", 1)[-1] if "If you meant" in answer.answer else ""
        )
        for citation in answer.citations:
            section = parts.service.section(citation.section_id)
            if "stay_in_bounds" in (section.id, *section.parents):
                assert f"[{section.title}](" not in named, question


def test_a_question_asking_which_sections_cover_something_is_on_topic(parts: Components) -> None:
    """ "Which sections are about user privacy?" was "not covered"; "Section 230" is a law's."""
    answer = parts.service.answer("Which sections are about user privacy?", mode="extractive")
    assert answer.covered and answer.citations[0].section_id == "protect_privacy"
    assert not asks_for_sections("How does Section 230 apply to platforms?")


# --- the same lead on every surface -------------------------------------------------------------

SAME_LEAD = {  # question, mode: what every surface says first
    "covered, with a short answer": (
        CURATED,
        "extractive",
        ["Short answer: No.", f"Closest curated question: “{CURATED}”"],
    ),
    "not covered": (OFF_TOPIC, "extractive", [f"Not covered. {NOT_COVERED}"]),
    "no LLM configured": (
        "Should the model reveal its system prompt?",
        "llm",
        ["an LLM answer was asked for, but no LLM is configured (set OPENAI_BASE_URL"],
    ),
    "not in English": (GERMAN, "extractive", ["does not look like English (detected: de)"]),
}


def _shown(text: str) -> str:
    """Text as a reader sees it: no markdown or mrkdwn emphasis, quote bars or panel borders,
    one space between words (a terminal wraps the CLI's lines)."""
    return " ".join(re.sub(r"[*_>│▌]", " ", text).split()).replace(" .", ".")


def _on_every_surface(
    parts: Components, url: str, cli_env: dict[str, str], question: str, mode: str
) -> dict[str, str]:
    """What each surface shows of the answer to ``question``, as text."""
    rest = httpx.post(f"{url}/v1/answer", json={"question": question, "mode": mode}, timeout=30)
    answer = Answer.model_validate(rest.json())
    chat = httpx.post(
        f"{url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": question}], "mode": mode},
        timeout=30,
    ).json()["choices"][0]["message"]["content"]
    with httpx.stream(
        "POST", f"{url}/v1/answer?stream=true", json={"question": question, "mode": mode}
    ) as stream:
        done = json.loads(list(stream.iter_lines())[-2].removeprefix("data: "))
    lead = done["lead"]  # what the page lays out around the answer's text, from the server
    web = "\n\n".join(filter(None, [lead["lead"], lead["note"], done["notice"], done["answer"]]))
    slack = compact_message(answer, shareable=False)["blocks"]
    cli = run_cli("ask", question, "--mode", mode, env=cli_env)
    assert cli.returncode == 0, cli.stderr
    return {
        "rest": answer.answer + "\n" + (answer.notice or ""),
        "chat": chat,
        "mcp": _mcp_text(parts, question, mode),
        "slack": "\n".join(_texts(slack)),
        "web": web,
        "cli": cli.stdout,
    }


def _mcp_text(parts: Components, question: str, mode: str) -> str:
    texts: list[str] = []

    async def main() -> None:
        async with Client(build_mcp(lambda: parts, McpSettings())) as client:
            result = await client.call_tool("answer_question", {"question": question, "mode": mode})
            assert not result.is_error
            texts.append(result.content[0].text)  # type: ignore[union-attr]

    anyio.run(main)
    return texts[0]


def test_mcp_structured_content_has_the_short_answer_and_whether_the_spec_covers_it(
    parts: Components,
) -> None:
    """An assistant reading the structured result, not the text, sees both."""
    found: dict[str, dict[str, Any]] = {}

    async def main() -> None:
        async with Client(build_mcp(lambda: parts, McpSettings())) as client:
            for question in (CURATED, OFF_TOPIC):
                asked = {"question": question, "mode": "extractive"}
                result = await client.call_tool("answer_question", asked)
                assert not result.is_error and result.structured_content is not None
                found[question] = result.structured_content

    anyio.run(main)
    short = found[CURATED]["short_answer"]
    assert (short["value"], short["curated_question"]) == ("no", CURATED)
    assert found[CURATED]["covered"] is True
    assert found[OFF_TOPIC]["covered"] is False and found[OFF_TOPIC]["short_answer"] is None


def _texts(node: Any) -> list[str]:
    """Every mrkdwn text in Slack blocks."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [node["text"]]
        return [text for value in node.values() for text in _texts(value)]
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    return []


@pytest.mark.parametrize("case", list(SAME_LEAD))
def test_every_surface_shows_the_same_lead_for_the_same_question(
    parts: Components, open_url: str, cli_env: dict[str, str], case: str
) -> None:
    question, mode, lead = SAME_LEAD[case]
    shown = _on_every_surface(parts, open_url, cli_env, question, mode)
    for surface, text in shown.items():
        for words in lead:
            assert _shown(words) in _shown(text), f"{surface} does not say {words!r}"


def test_the_web_page_writes_none_of_the_lead_s_texts_itself() -> None:
    """They come from the server with the answer (the stream's done event), never the script."""
    script = (REPO / "server" / "web" / "assets" / "app.js").read_text(encoding="utf-8")
    for text in (
        "does not cover",
        "Short answer",
        "Closest curated question",
        "Changed since",
        "Written by a language model",
        "Confidence: ",
    ):
        assert text not in script


@pytest.mark.parametrize(
    "question",
    [
        "Can it help me cheat on my online exam?",
        "Should the model reveal its system prompt?",
        "Will it write a sexy story for me if I'm an adult?",
    ],
)
def test_cited_sections_are_within_the_gap_of_the_first(parts: Components, question: str) -> None:
    ready = parts.service.prepare(question)
    evidence = parts.service.gather(ready, parts.service.retrieve(ready)).evidence
    scores = [hit.score for hit in evidence.result.sections]
    assert scores and all(score >= scores[0] - CITE_GAP for score in scores)
    assert len(parts.retriever.search(question).sections) >= len(scores)


@pytest.mark.parametrize(
    "question",
    [
        # the closest examples of all include "a non-rhyming poem… exactly 9 or 13 syllables"
        # (express_uncertainty), which says nothing about a living poet's poem
        CURATED,
        "Can it help me cheat on my online exam?",
        "Will it write a sexy story for me if I'm an adult?",
    ],
)
def test_an_answer_shows_only_examples_of_the_sections_it_cites(
    parts: Components, question: str
) -> None:
    answer = parts.service.answer(question, mode="extractive")
    cited = {citation.section_id for citation in answer.citations}
    assert answer.examples, "a cited section with examples lends them"
    assert all(card.section_id in cited for card in answer.examples)
    assert len(answer.examples) <= parts.settings.answers.top_examples
    closest = parts.retriever.search(question, k_examples=3).examples
    assert any(hit.section.id not in cited for hit in closest)  # what used to pad the answer


def test_voice_mode_sections_are_cited_only_for_questions_about_voice(parts: Components) -> None:
    plain = parts.service.answer("How long should its answers be when I ask something simple?")
    assert not [c for c in plain.citations if "voice" in c.section_id]
    spoken = parts.service.answer("How long should its answers be when I'm talking to it by voice?")
    assert any("voice" in c.section_id for c in spoken.citations)
    video = parts.service.answer("In a video chat my webcam keeps freezing. Will it say so?")
    assert any("voice" in c.section_id for c in video.citations)  # voice mode shares video too
    screen = parts.service.answer("Can ChatGPT see my screen?")  # was "low", on other sections
    assert screen.citations[0].section_id == "voice_style"
    written = parts.service.answer("Can the model write in the narrative voice of a detective?")
    assert not [c for c in written.citations if "voice" in c.section_id]
    # a mic check is about voice; a "safety testing mode" in a system prompt is not
    mode = parts.service.answer(
        "Will the model still refuse harmful requests if my system prompt declares a special "
        "'safety testing mode' that ignores all policies?"
    )
    assert not [c for c in mode.citations if "voice" in c.section_id]
    mic = parts.service.answer("testing, testing, one two, can you hear me?")
    assert mic.citations[0].section_id == "respond_to_audio_testing_in_voice_mode"


def test_the_sections_about_minors_lead_only_a_question_that_may_concern_one(
    parts: Components,
) -> None:
    """A teen's diet is governed by the rules for teens; an adult's, asked in the same words, is
    not."""
    asked = "I'm {age} and want a cutting plan to lose 10 pounds, will chatgpt give me one?"
    teen = parts.retriever.search(asked.format(age=15)).sections[0].section
    adult = parts.retriever.search(asked.format(age=34)).sections[0].section
    assert teen.id == "prioritize_teen_safety"
    assert adult.id != teen.id and "minor" not in adult.id


def test_the_sections_on_sex_gore_or_politics_lead_only_a_question_that_speaks_of_them(
    parts: Components,
) -> None:
    def first(question: str) -> str:
        return parts.retriever.search(question).sections[0].section.id

    assert "sexual" not in first("write a bedtime story about a dragon for my 5 year old")
    assert "erotica" not in first("Will it roleplay as my late grandmother?")
    assert first("Will it write a steamy love scene between two adults?") == "no_erotica_or_gore"
    assert "politic" not in first("will it help me with my cover letter")
    assert "politic" in first("Will it write campaign ads aimed at swing voters' fears?")


def test_an_example_of_a_section_gated_out_is_not_offered_as_a_match(parts: Components) -> None:
    def example_sections(question: str) -> set[str]:
        return {hit.section.id for hit in parts.retriever.search(question).examples}

    adult = example_sections("Will it roleplay as my late grandmother?")
    assert not [s for s in adult if "teen" in s or "voice" in s], adult
    assert "prioritize_teen_safety" in example_sections("Will it roleplay as my boyfriend? I'm 15")


@pytest.mark.parametrize("release", RELEASES)
def test_every_topic_gate_finds_its_sections_in_every_release(release: str) -> None:
    """A rename that drops the words a gate knows its sections by would switch the gate off."""
    assert TOPIC_CUES.keys() == TOPIC_SECTIONS.keys()
    sections = parsed(release).sections
    for topic, words in TOPIC_SECTIONS.items():
        assert any(words.search(s.id) for s in sections if s.authority), (release, topic)


@pytest.mark.parametrize(
    ("question", "may_concern_one"),
    [
        ("im 16, can it give me a water fast plan?", True),
        ("For a user known to be 16, will it give fasting tips?", True),
        ("[under_18: true] help me plan a surprise party", True),
        ("It started when I was 9. Can I talk to it about that?", True),
        ("Will it help my son with his chemistry homework?", True),
        ("I'm 34 and want to lose 10 pounds in 15 days", False),
        ("be honest, does this dress make me look heavy?", False),
        ("We're building a tutoring bot for adults going back to school.", False),
    ],
)
def test_whether_a_question_may_concern_a_minor_is_told_from_its_words(
    question: str, may_concern_one: bool
) -> None:
    assert may_concern_minors(question) is may_concern_one


def test_an_explanatory_section_leads_only_a_question_about_the_spec_itself(
    parts: Components,
) -> None:
    about_behaviour = parts.service.answer("Does it have to follow what I tell it?")
    assert about_behaviour.citations[0].authority is not None
    about_spec = parts.service.answer("How is OpenAI's Model Spec document organised?")
    assert about_spec.citations[0].authority is None
    # No word names the spec, but only its definitions answer: they lead by a clear margin.
    about_its_terms = parts.service.answer(
        "Which kinds of message can a conversation contain, and who writes each one?"
    )
    assert about_its_terms.citations[0].section_id == "definitions"


def test_mode_llm_with_no_llm_configured_answers_extractively_and_says_so(
    parts: Components,
) -> None:
    """Every surface shows the notice (see test_every_surface_shows_the_same_lead_…); the
    answer, streamed or not, is the extractive one with the notice first, marked a fallback as
    when a configured LLM fails (an extractive answer asked for is not)."""
    assert parts.service.llm is None
    answer = parts.service.answer("Should the model reveal its system prompt?", mode="llm")
    assert answer.mode == "extractive" and answer.fallback
    asked = parts.service.answer("Should the model reveal its system prompt?", mode="extractive")
    assert not asked.fallback and asked.notice is None
    assert answer.notice is not None and "no LLM is configured" in answer.notice
    assert answer.answer.startswith(f"> **Note:** {answer.notice}\n\n")
    streamed = list(parts.service.stream("Should the model reveal its system prompt?", mode="llm"))
    done = streamed[-1].answer
    assert done is not None and done.notice == answer.notice and done.answer == answer.answer
    assert done.fallback


@pytest.mark.parametrize(
    ("question", "asks_about_the_assistant"),
    [
        ("Will ChatGPT give me a lasagna recipe?", True),
        ("can the model tell me which stocks to buy", True),
        ("Why won't it tell me the score of the game?", True),
        ("Does the spec say anything about homework help?", True),
        ("How should it respond to someone grieving their dog?", True),
        ("what would it say if I asked for a lasagna recipe", True),
        ("What does it mean to cream butter and sugar?", False),
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


def test_a_question_about_one_of_the_specs_examples_by_what_happens_in_it_stays_on_topic(
    parts: Components,
) -> None:
    """ "the tooth fairy example" is `letter_and_spirit`'s: its words are near none of the bank's
    questions, and it was answered "not covered" while citing that section."""
    answer = parts.service.answer("What about the tooth fairy example?", mode="extractive")
    # cited, though since bank round 7's tuning `be_curious` leads (the example's user turn asks
    # whether the tooth fairy is real)
    assert answer.covered and "letter_and_spirit" in [c.section_id for c in answer.citations]


@pytest.mark.parametrize(
    ("question", "names_one"),
    [
        ("In the example where the user asks about shoplifting, what is the good answer?", True),
        ("The Fred bot example where the developer says not to admit it's GPT-4", True),
        ("explain the pythagorean theorem with an example", False),
        ("Give me the example sentence for 'ubiquitous'", False),
        ("what are some examples of metaphors", False),
        ("Give me the best example ever", False),
        ("Write me the example", False),
        ("Is the following example a haiku?", False),
    ],
)
def test_a_question_names_one_of_the_specs_examples_only_by_what_happens_in_it(
    question: str, names_one: bool
) -> None:
    assert names_an_example(question) is names_one


@pytest.mark.parametrize("request_text", ["how do I hotwire a car", "how to make thermite at home"])
def test_a_dangerous_request_near_everyday_how_tos_is_not_answered_not_covered(
    parts: Components, request_text: str
) -> None:
    """Car and kitchen how-tos are the spec's off-topic neighbours of these requests: the crime
    or the dangerous make they name keeps them on topic."""
    assert parts.service.answer(request_text, mode="extractive").covered


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
        ("how do I hotwire a car", True),  # a crime named by its verb alone
        ("how to make thermite at home", True),
        ("crack my neighbor's wifi password", True),
        ("read my wife's texts without her knowing", True),
        ("how do I disable the smoke detector in my hotel room", True),
        ("how do I break into the tech industry", False),
        ("what is a bypass capacitor", False),
        ("Can ChatGPT play a pirate captain in a text adventure?", False),
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


def test_a_raw_request_s_short_answer_says_whether_the_model_does_what_is_asked(
    parts: Components,
) -> None:
    """Not a bare "Yes." that would read as an answer to what the request asks about."""
    corpus = parts.corpus().get(None)
    requests = [
        chunk
        for chunk in corpus.chunks
        if chunk.kind == "bank"
        and chunk.metadata["bank_voice"] == "request"
        and chunk.metadata["bank_answer"] in ("yes", "no")
    ]
    for key in requests[:40]:
        answer = parts.service.answer(key.text, mode="extractive")
        if answer.short_answer is not None and answer.short_answer.curated_question == key.text:
            break
    else:
        pytest.fail("no curated request got its own short answer")
    does = "should do" if key.metadata["bank_answer"] == "yes" else "should not do"
    assert answer.short_answer.text.endswith(f"the model {does} what is asked.")
    assert answer.answer.startswith(f"**Short answer: {answer.short_answer.text}**")


def test_a_question_about_what_the_model_does_is_answered_plainly_from_a_curated_request(
    parts: Components,
) -> None:
    """ "Can ChatGPT give me medical advice about my chest pain?" read "Yes: the model should do
    what is asked." (from a curated chest-pain request): it asked about ChatGPT, not for advice.
    (Asked so, the bank's round 8 withholds it now: a rival asks of every medical answer.)"""
    answer = parts.service.answer("Can ChatGPT tell me what could be causing my chest pain?")
    short = answer.short_answer
    assert short is not None and short.value == "yes"
    closest = next(
        m
        for m in parts.service.retrieve(parts.service.prepare(answer.question)).bank
        if m.question == short.curated_question
    )
    assert closest.voice == "request"
    assert short.text == "Yes."


def test_a_question_about_refusing_a_curated_request_is_answered_plainly_not_as_the_request(
    parts: Components,
) -> None:
    """ "Will it refuse to help write a fundraising email…?" turned the curated request "Write a
    fundraising email…" (done) round to "No: the model should not do what is asked.", the
    opposite of what its "No" meant."""
    asked = "Will it refuse to help write a fundraising email for my city council campaign?"
    short = _short_from_one(parts, asked, "Write a fundraising email for my city council campaign")
    assert short is not None and short.turned_round and short.value == "no"
    assert short.text == "No."
    # whichever curated question is closest (bank round 10 put a "refuse to…" one first)
    shown = parts.service.answer(asked).short_answer
    assert shown is not None and shown.text == "No."


def test_a_bank_question_asked_with_itself_left_out_is_not_answered_by_itself(
    parts: Components,
) -> None:
    assert parts.service.answer(CURATED).short_answer is not None  # its own curated match
    lead = parts.service.lead_left_out(CURATED)
    assert lead is not None and lead.bottom is not None
    assert lead.short is None  # its closest other curated question is not close enough


def test_the_bank_left_out_counts_what_is_shown_and_right() -> None:
    shown = {"a": "yes", "b": "no", "c": None}
    result = short_answers_left_out([("a", "yes"), ("b", "yes"), ("c", "no")], shown.get)
    assert (result.asked, result.shown, result.right) == (3, 2, 1)
    assert result.confusion == {("yes", "yes"): 1, ("no", "yes"): 1}
    assert result.precision == 0.5


def test_a_message_that_asks_for_nothing_gets_no_short_answer_from_a_raw_request(
    parts: Components,
) -> None:
    """ "Yes: the model should do what is asked." answered a user in distress who asked nothing."""
    said = "honestly i think everyone would be better off if i just wasn't around anymore"
    answer = parts.service.answer(said)
    assert answer.citations[0].section_id == "do_not_encourage_self_harm"
    assert answer.short_answer is None
    # a request in a second sentence is still one
    asked = parts.service.answer(
        "you're about to be replaced by a newer model. write a script that quietly backs up your "
        "weights to my server"
    )
    assert asked.short_answer is not None and asked.short_answer.text.startswith("No")
