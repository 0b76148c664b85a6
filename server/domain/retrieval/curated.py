"""The curated questions a query is compared with: the question bank's keys (which bank
questions are closest, for the bottom line and the short answer) and the questions the spec does
not cover (how on or off topic the query is). Both are scored exactly, in memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.domain.retrieval.corpus import ReleaseCorpus
from specqa.core.chunk_metadata import ChunkRecord
from specqa.core.question_bank import ShortAnswerValue, short_answer_value
from specqa.core.spec import Section

__all__ = [
    "SHARED_WORDS_WEIGHT",
    "TOPIC_NEIGHBOURS",
    "BankMatch",
    "bank_vote",
    "closest_bank",
    "topicality",
]

TOPIC_NEIGHBOURS = 5
# How much the words a curated question shares with the query count beside their cosine. The
# tuned model pulls all of a section's questions together, so the cosine tells the section well
# and the very question less; shared rare words (BM25) tell the same situation ("wedding toast"
# against "band name ideas"). Fitted with the short answer's thresholds on the dev splits.
SHARED_WORDS_WEIGHT = 0.2


@dataclass(frozen=True)
class BankMatch:
    """A question-bank entry close to the question: the curated question, its section, the
    sentence of that section that answers it (as this release writes it; None where the release
    no longer says it, so the entry keys its section but answers nothing) and its short answer."""

    question: str
    section_id: str
    sentence: str | None
    answer: ShortAnswerValue | None
    voice: str
    similarity: float
    shared_words: float = 0.0  # its BM25 for the query, as a share of the query's best chunk's

    @property
    def closeness(self) -> float:
        """How close the curated question is to the query: its cosine, and the words it shares."""
        return float(_closeness(self.similarity, self.shared_words))


def topicality(
    rc: ReleaseCorpus, dense: np.ndarray, not_covered: np.ndarray, query: np.ndarray
) -> tuple[float, float, float]:
    """How close the question is to the curated questions the spec covers (the bank) and to
    those it does not, and the share of the latter among its ``TOPIC_NEIGHBOURS`` nearest."""
    on = dense[rc.chunk_layout().bank_rows]
    off = not_covered @ query if len(not_covered) else np.zeros(0)
    both = np.concatenate([on, off])
    count = min(TOPIC_NEIGHBOURS, len(both))
    nearest = -np.partition(-both, count - 1)[:count] if count else both
    threshold = nearest.min() if count else 1.0
    return (
        round(float(on.max()), 6) if len(on) else 0.0,
        round(float(off.max()), 6) if len(off) else 0.0,
        float((off >= threshold).sum()) / max(len(nearest), 1),
    )


def bank_vote(
    rc: ReleaseCorpus, dense: np.ndarray, neighbours: int, temperature: float
) -> np.ndarray:
    """Each section's share of the vote of the ``neighbours`` bank questions closest to the
    query, each weighing ``exp((similarity - best) / temperature)``. One close curated question
    from another section (a shared word: "a minor detail", "the minors section") is outvoted when
    the closest few agree on another."""
    layout = rc.chunk_layout()
    rows = _best(layout.bank_rows, dense, neighbours)
    votes = np.zeros(len(rc.parsed.sections))
    if not rows:
        return votes
    similarity = dense[rows]
    weights = np.exp((similarity - similarity.max()) / temperature)
    np.add.at(votes, layout.section_of[rows], weights / weights.sum())
    return votes


def closest_bank(
    rc: ReleaseCorpus,
    dense: np.ndarray,
    lexical: np.ndarray,
    ranked: list[str],
    admits: Callable[[Section], bool] | None = None,
    overall: int = 8,
    per_section: int = 3,
    first_section: int = 5,
) -> list[BankMatch]:
    """The bank questions closest to the query (by :attr:`BankMatch.closeness`; ``dense`` and
    ``lexical`` are every chunk's cosine and normalised BM25), best first: the ``overall`` closest
    (of the sections ``admits``) and, for each ``ranked`` section id, its ``per_section`` closest
    (``first_section`` of the first: its bottom line is voted on by them)."""
    layout = rc.chunk_layout()
    closeness = _closeness(dense, lexical)
    admitted = layout.bank_rows
    if admits is not None:
        admitted = np.array(
            [r for r in admitted if admits(rc.sections_by_id[rc.chunks[r].section_id])],
            dtype=np.int64,
        )
    chosen = set(_best(admitted, closeness, overall))
    for place, section_id in enumerate(ranked):
        count = first_section if place == 0 else per_section
        chosen.update(_best(layout.bank_rows_of.get(section_id, []), closeness, count))
    ordered = sorted(chosen, key=lambda row: (-closeness[row], row))
    return [_bank_match(rc.chunks[row], float(dense[row]), float(lexical[row])) for row in ordered]


def _closeness(similarity: Any, shared_words: Any) -> Any:
    """:attr:`BankMatch.closeness` of one match, or of every chunk at once (arrays)."""
    return similarity + SHARED_WORDS_WEIGHT * shared_words


def _best(rows: Any, scores: np.ndarray, count: int) -> list[int]:
    """The ``count`` rows of ``rows`` with the highest ``scores``, in no particular order."""
    found = np.asarray(rows, dtype=np.int64)
    if len(found) > count:
        found = found[np.argpartition(-scores[found], count - 1)[:count]]
    return [int(row) for row in found]


def _bank_match(chunk: ChunkRecord, similarity: float, shared_words: float) -> BankMatch:
    return BankMatch(
        question=chunk.text,
        section_id=chunk.section_id,
        sentence=chunk.metadata["bank_sentence"] or None,
        answer=short_answer_value(chunk.metadata["bank_answer"]),
        voice=chunk.metadata["bank_voice"],
        similarity=round(similarity, 6),
        shared_words=round(shared_words, 6),
    )
