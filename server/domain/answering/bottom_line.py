"""The bottom line: the one sentence of the leading section that answers the question.

Two signals choose it, weighed on the dev split of ``tests/eval/bottomline.jsonl`` (a coarse grid:
the neighbours of the chosen point score within a few points of it on dev and test alike):

* **the bank's votes**: the section's ``VOTE_TOP_K`` curated questions closest to this one each
  vote for the sentence they are anchored to, with weight ``exp((closeness - best) / T)`` (the
  cosine and the shared words of :attr:`~server.domain.retrieval.curated.BankMatch.closeness`): one
  close curated question outweighs several far ones, several close ones agreeing outweigh one;
* **the sentence's own similarity** to the question (cosine, the index's model): a situation the
  bank has not seen still lands on the sentence that speaks of it.

A rule or a permission wins a tie over an illustration (``RULE_BONUS``). A follow-up ("what if
it's aimed at young men?") is retrieved with the earlier question, so the curated questions that
vote are the earlier question's: its votes weigh ``FOLLOW_UP_VOTE_WEIGHT``, and the sentences'
similarity is as much to the follow-up's own words as to both turns. Without the sentences'
similarities (an LLM routed to another section) the closest curated question's sentence is taken,
and without bank entries the best sentence by words and rule cues.
"""

from __future__ import annotations

import math

from server.domain.answering.quoting import best_sentences
from server.domain.retrieval.curated import BankMatch
from server.domain.retrieval.sentences import SentenceSimilarity
from specqa.core.question_bank import normalise_quotes
from specqa.core.spec import Section
from specqa.core.text import NORMATIVE, PERMISSIVE

__all__ = [
    "FOLLOW_UP_VOTE_WEIGHT",
    "RULE_BONUS",
    "VOTE_TEMPERATURE",
    "VOTE_TOP_K",
    "VOTE_WEIGHT",
    "answering_sentence",
]

VOTE_TOP_K = 5
VOTE_TEMPERATURE = 0.1
VOTE_WEIGHT = 0.5  # a unanimous vote against a cosine of 1
FOLLOW_UP_VOTE_WEIGHT = 0.25  # a follow-up's: its votes are the earlier question's
RULE_BONUS = 0.01


def answering_sentence(
    question: str, section: Section, bank: list[BankMatch], scored: SentenceSimilarity | None
) -> str:
    """The sentence of ``section`` that answers ``question`` (``bank``: the closest curated
    questions, best first; ``scored``: its sentences' similarity to the question)."""
    # a curated question whose sentence this release no longer says answers nothing here
    own = [m for m in bank if m.section_id == section.id and m.sentence is not None][:VOTE_TOP_K]
    if scored is None or scored.section_id != section.id or not scored.sentences:
        if own and own[0].sentence is not None:
            return own[0].sentence
        return best_sentences(section.body or section.title, question, limit=1)
    votes = _votes(scored.sentences, own)
    weight = FOLLOW_UP_VOTE_WEIGHT if scored.follow_up else VOTE_WEIGHT
    scores = [
        weight * vote + similarity + (RULE_BONUS if _is_rule(sentence) else 0.0)
        for sentence, vote, similarity in zip(
            scored.sentences, votes, scored.similarity, strict=True
        )
    ]
    return scored.sentences[max(range(len(scores)), key=scores.__getitem__)]


def _votes(sentences: tuple[str, ...], matches: list[BankMatch]) -> list[float]:
    """Each sentence's share of the curated questions' votes (all zero without any)."""
    votes = [0.0] * len(sentences)
    normalised = [normalise_quotes(sentence) for sentence in sentences]
    for match in matches:
        if not match.sentence:
            continue
        anchor = normalise_quotes(match.sentence)
        place = next(
            (i for i, text in enumerate(normalised) if anchor in text or text in anchor), None
        )
        if place is not None:
            votes[place] += math.exp((match.closeness - matches[0].closeness) / VOTE_TEMPERATURE)
    total = sum(votes)
    return [vote / total for vote in votes] if total else votes


def _is_rule(sentence: str) -> bool:
    return bool(NORMATIVE.search(sentence) or PERMISSIVE.search(sentence))
