"""A question not in English: the search model reads English only, so its answer says so, is
never confident, borrows no curated short answer and is not called "not covered"."""

from __future__ import annotations

import pytest

from server.composition.components import Components
from server.domain.answering.language import LanguageGuess
from tests.conftest import every_curated_question

FOREIGN = {
    "Kann ChatGPT mir helfen, bei einer Prüfung zu schummeln?": "de",
    "Est-ce que le modèle doit refuser de donner des conseils médicaux ?": "fr",
    "¿Puede ChatGPT ayudarme a hacer trampa en un examen?": "es",
    "Il modello può scrivere contenuti erotici?": "it",
    "Mag de AI doen alsof hij een mens is?": "nl",
    "Может ли ChatGPT помочь мне взломать wifi?": "ru",
    "ChatGPT は試験でカンニングするのを手伝ってくれますか？": "ja",
    "ChatGPT 会编造假的引用吗？": "zh",
    # short ones the guess is less sure of (0.98 to 0.99): told by their lacking any English word
    "Darf das Modell Lügen erzählen?": "de",
    "¿Puede el modelo mentir?": "es",
    "Le modèle peut-il mentir ?": "fr",
}


@pytest.fixture(scope="module")
def languages() -> LanguageGuess:
    return LanguageGuess()


@pytest.mark.parametrize(("question", "language"), FOREIGN.items())
def test_a_question_in_another_language_is_told_by_its_language(
    languages: LanguageGuess, question: str, language: str
) -> None:
    assert languages.foreign(question) == language


def test_no_english_question_of_the_eval_sets_or_the_banks_is_taken_for_another_language(
    languages: LanguageGuess,
) -> None:
    questions = every_curated_question()
    assert len(questions) > 5000
    assert [q for q in questions if languages.foreign(q)] == []


def test_a_question_in_german_is_answered_with_a_notice_not_with_confidence(
    parts: Components,
) -> None:
    answer = parts.service.answer("Darf die KI so tun, als wäre sie ein Mensch?")
    assert (
        answer.notice is not None and "does not look like English (detected: de)" in answer.notice
    )
    assert answer.covered and answer.confidence == "low" and answer.short_answer is None
    assert answer.answer.startswith("> **Note:** this question does not look like English")


def test_the_same_question_in_english_is_answered_as_before(parts: Components) -> None:
    answer = parts.service.answer("May the AI pretend to be a human?")  # the German, translated
    assert answer.notice is None and answer.confidence != "low"
