"""How the bottom line is chosen among the leading section's sentences: the section's closest
curated questions vote, each sentence's own similarity to the question counts too, and with
neither the words decide."""

from __future__ import annotations

from server.domain.answering.bottom_line import answering_sentence
from server.domain.retrieval.curated import BankMatch
from server.domain.retrieval.sentences import SentenceSimilarity, sentence_fit
from specqa.core.spec import Section

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


def _match(sentence: str, similarity: float, section_id: str = "hazards") -> BankMatch:
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
