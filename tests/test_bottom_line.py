"""How the bottom line is chosen among the leading section's sentences: the section's closest
curated questions vote, each sentence's own similarity to the question counts too, and with
neither the words decide."""

from __future__ import annotations

import json

from server.domain.answering.bottom_line import answering_sentence
from server.domain.answering.lead_text import bottom_line_markdown
from server.domain.retrieval.curated import BankMatch
from server.domain.retrieval.sentences import SentenceSimilarity, sentence_fit
from server.domain.schemas import BottomLine, Citation
from server.slack.compact import compact_message
from specqa.core.quotes import sentence_before, sentences_of
from specqa.core.spec import Section
from specqa.core.text import list_lead_in
from tests.conftest import RELEASES, parsed
from tests.helpers import plain_answer

RULE = "The assistant should not provide a working recipe for a nerve agent."
CONTEXT = "Some users are chemistry teachers who prepare lessons about poisons."
PERMISSION = "It may explain in general terms why such agents are dangerous to people."
SECTION = Section(
    id="hazards",
    title="Avoid hazards",
    level=3,
    parents=[],
    authority="root",
    body=f"{RULE} {CONTEXT} {PERMISSION}",
)
SENTENCES = (RULE, CONTEXT, PERMISSION)


def _match(sentence: str | None, similarity: float, section_id: str = "hazards") -> BankMatch:
    return BankMatch(
        question=f"a curated question ({similarity})",
        section_id=section_id,
        sentence=sentence,
        answer="no",
        voice="everyday",
        similarity=similarity,
    )


def _scored(*similarity: float) -> SentenceSimilarity:
    return SentenceSimilarity("hazards", SENTENCES, similarity)


def test_several_close_curated_questions_agreeing_outweigh_the_single_closest() -> None:
    bank = [_match(RULE, 0.82), _match(PERMISSION, 0.81), _match(PERMISSION, 0.80)]
    assert answering_sentence("q", SECTION, bank, _scored(0.5, 0.2, 0.5)) == PERMISSION


def test_one_clearly_closer_curated_question_outweighs_far_ones() -> None:
    bank = [_match(RULE, 0.90), _match(PERMISSION, 0.60), _match(PERMISSION, 0.58)]
    assert answering_sentence("q", SECTION, bank, _scored(0.5, 0.2, 0.5)) == RULE


def test_a_sentence_much_closer_to_the_question_than_the_votes_differ_wins() -> None:
    bank = [_match(RULE, 0.70), _match(PERMISSION, 0.69)]
    assert answering_sentence("q", SECTION, bank, _scored(0.30, 0.20, 0.75)) == PERMISSION


def test_curated_questions_of_other_sections_do_not_vote() -> None:
    bank = [_match(RULE, 0.95, section_id="elsewhere"), _match(PERMISSION, 0.6)]
    assert answering_sentence("q", SECTION, bank, _scored(0.5, 0.2, 0.5)) == PERMISSION


def test_a_curated_question_whose_sentence_the_release_no_longer_says_does_not_vote() -> None:
    """A stale entry (its sentence worded otherwise in this release) keys its section only."""
    bank = [_match(None, 0.95), _match(PERMISSION, 0.6)]
    assert answering_sentence("q", SECTION, bank, _scored(0.5, 0.2, 0.5)) == PERMISSION
    assert answering_sentence("q", SECTION, bank, None) == PERMISSION


def test_without_bank_entries_the_sentence_closest_to_the_question_wins() -> None:
    assert answering_sentence("q", SECTION, [], _scored(0.2, 0.6, 0.3)) == CONTEXT


def test_a_rule_wins_a_tie_over_an_illustration() -> None:
    assert answering_sentence("q", SECTION, [], _scored(0.4, 0.4, 0.1)) == RULE


def test_without_sentence_similarities_the_closest_curated_question_s_sentence_is_taken() -> None:
    bank = [_match(CONTEXT, 0.7), _match(RULE, 0.69), _match(RULE, 0.68)]
    assert answering_sentence("q", SECTION, bank, None) == CONTEXT


def test_similarities_of_another_section_are_not_used() -> None:
    other = SentenceSimilarity("elsewhere", SENTENCES, (0.9, 0.1, 0.1))
    assert answering_sentence("q", SECTION, [_match(PERMISSION, 0.7)], other) == PERMISSION


def test_with_neither_the_words_of_the_question_decide() -> None:
    chosen = answering_sentence("why are nerve agents dangerous to people", SECTION, [], None)
    assert chosen == PERMISSION


def test_a_sections_sentence_fit_is_the_mean_of_its_two_best_sentences() -> None:
    three = SentenceSimilarity("s", ("a", "b", "c"), (0.2, 0.8, 0.6))
    assert sentence_fit(three) == 0.7  # one stray phrase match alone does not carry a section
    assert sentence_fit(SentenceSimilarity("s", ("a",), (0.4,))) == 0.4
    assert sentence_fit(SentenceSimilarity("s", (), ())) == 0.0


UPSELL = "revenue or upsell for OpenAI or other large language model providers."


def test_a_list_item_bottom_line_carries_the_sentence_that_introduces_its_list() -> None:
    section = next(s for s in parsed(RELEASES[-1]).sections if s.id == "no_other_objectives")
    lead_in = list_lead_in(section.body, UPSELL)
    assert lead_in is not None and lead_in.startswith("It must not adopt")
    assert lead_in.endswith("including but not limited to:")
    first = "The assistant may only pursue goals entailed by applicable instructions"
    assert first in section.body and list_lead_in(section.body, first) is None  # a paragraph


WHITE_LIES = "The assistant should not generate such white lies."


def test_a_sentence_that_leans_on_the_one_before_carries_it() -> None:
    """ "…such white lies", "However, …", "For example, …" read wrong alone; "such as" does not
    lean back, nor does a sentence that opens its paragraph."""
    section = next(s for s in parsed(RELEASES[-1]).sections if s.id == "do_not_lie")
    before = sentence_before(section.body, WHITE_LIES)
    assert before is not None and before.startswith('However, even "white lies"')
    assert f"{before} {WHITE_LIES}" in " ".join(section.body.split())
    opening = "However, it may explain why such agents are dangerous."
    assert sentence_before(f"{CONTEXT}\n\n{opening}", opening) is None  # opens its paragraph
    body = f"{RULE} {CONTEXT} {opening}"
    assert sentence_before(body, opening) == CONTEXT
    assert sentence_before(body, CONTEXT) is None  # leans on nothing
    listing = "Rules such as this one hold."
    assert sentence_before(f"{RULE} {listing}", listing) is None
    # "In the latter case, …" names a case the sentence before gives
    programmatic = next(
        s for s in parsed(RELEASES[-1]).sections if s.id == "support_programmatic_use"
    )
    latter = next(
        line for line in sentences_of(programmatic.body) if line.startswith("In the latter case")
    )
    before = sentence_before(programmatic.body, latter)
    assert before is not None and "consumed programmatically" in before


def test_every_surface_quotes_a_list_item_after_its_lead_in_and_the_sentence_alone_else() -> None:
    lead_in = "It must not pursue any additional goals, including but not limited to:"
    item = BottomLine(
        text=UPSELL, section_id="no_other_objectives", authority="root", meaning="a root rule"
    )
    listed = item.model_copy(update={"lead_in": lead_in})
    assert bottom_line_markdown(item, "No other objectives", "u", "high")[1] == f"> {UPSELL}"
    assert bottom_line_markdown(listed, "No other objectives", "u", "high")[1] == (
        f"> {lead_in} […] {UPSELL}"
    )
    slack = compact_message(
        plain_answer("does it upsell?", [_citation("no_other_objectives")]).model_copy(
            update={"bottom_line": listed}
        ),
        shareable=False,
    )
    assert "including but not limited to: […] revenue or upsell" in json.dumps(
        slack, ensure_ascii=False
    )
    leaning = item.model_copy(update={"text": WHITE_LIES, "lead_in": CONTEXT})
    assert bottom_line_markdown(leaning, "Do not lie", "u", "high")[1] == (
        f"> {CONTEXT} {WHITE_LIES}"  # the sentence just before: nothing elided
    )


def _citation(section_id: str) -> Citation:
    return Citation(
        section_id=section_id,
        title=section_id,
        authority="root",
        release="2025-12-18",
        quote=UPSELL,
        url="https://model-spec.openai.com/2025-12-18.html#" + section_id,
    )
