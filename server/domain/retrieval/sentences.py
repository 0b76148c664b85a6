"""How close each quotable sentence of a section is to the question: a signal of the ranking (the
sections that can be cited are re-ranked by it) and the dense half of choosing the bottom line
(the bank's votes are the other half, see server.domain.answering.bottom_line).

A section's sentences are embedded once per index and release, the first time the section is among
the sections that can be cited (tens of sentences, tens of milliseconds), with the model the corpus's vectors were made
with, so that they compare with the query vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specqa.core.embedding import Embedder
from specqa.core.memo import IndexMemo
from specqa.core.quotes import quotable_sentences
from specqa.core.spec import Section

__all__ = ["SentenceSimilarity", "SentenceVectors", "sentence_fit"]


@dataclass(frozen=True)
class SentenceSimilarity:
    """The quotable sentences of one section, in document order, and each one's cosine
    similarity to the (focused) question."""

    section_id: str
    sentences: tuple[str, ...]
    similarity: tuple[float, ...]


class SentenceVectors:
    """The unit vectors of each section's quotable sentences, per index (bounded)."""

    def __init__(self, limit: int = 1024) -> None:
        self._memo: IndexMemo[tuple[str, str], np.ndarray] = IndexMemo(limit)

    def similarity(
        self, index: str, release: str, section: Section, embedder: Embedder, query: np.ndarray
    ) -> SentenceSimilarity:
        texts = tuple(s.text for s in quotable_sentences(section.body or section.title))
        if not texts:
            return SentenceSimilarity(section.id, (), ())
        vectors = self._memo.get(
            index, (release, section.id), lambda: _unit_rows(embedder.embed(list(texts)))
        )
        scores = vectors @ query
        return SentenceSimilarity(
            section.id, texts, tuple(round(float(score), 6) for score in scores)
        )


def sentence_fit(scored: SentenceSimilarity) -> float:
    """How well the section's own sentences match the question: the mean similarity of its two
    best (one sentence alone can match by a shared phrase; two agreeing rarely do)."""
    best = sorted(scored.similarity, reverse=True)[:2]
    return sum(best) / len(best) if best else 0.0


def _unit_rows(vectors: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
