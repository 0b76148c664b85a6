"""How close each quotable sentence of a section is to the question: a signal of the ranking (the
sections that can be cited are re-ranked by it) and the dense half of choosing the bottom line
(the bank's votes are the other half, see server.domain.answering.bottom_line).

Ingest stores every section's sentence vectors in the index (chunks of kind "sentence", made with
the model the corpus's vectors were made with, so that they compare with the query vector), and a
release's are read with it. Only when the stored sentences are not the ones this code splits (an
index built by a build whose sentence splitting differed) are a section's sentences embedded
here, the first time the section can be cited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from specqa.core.chunk_metadata import ChunkRecord
from specqa.core.embedding import Embedder
from specqa.core.memo import IndexMemo
from specqa.core.quotes import quotable_sentences
from specqa.core.spec import Section

__all__ = ["SentenceSimilarity", "SentenceVectors", "StoredSentences", "sentence_fit"]


@dataclass(frozen=True)
class StoredSentences:
    """A release's sentence vectors as the index stores them: per section id, its sentences in
    document order and their unit vectors (one row each)."""

    by_section: dict[str, tuple[tuple[str, ...], np.ndarray]]

    @classmethod
    def of(cls, records: list[ChunkRecord], vectors: np.ndarray) -> StoredSentences:
        """From the ``sentence`` chunks of one release, sorted by id (so in document order)."""
        rows: dict[str, list[int]] = {}
        for row, record in enumerate(records):
            rows.setdefault(record.section_id, []).append(row)
        return cls(
            {
                section_id: (tuple(records[r].text for r in chosen), _unit_rows(vectors[chosen]))
                for section_id, chosen in rows.items()
            }
        )

    def vectors(self, section_id: str, texts: tuple[str, ...]) -> np.ndarray | None:
        """The stored vectors of ``texts``, or None unless the index stores exactly those."""
        stored = self.by_section.get(section_id)
        return stored[1] if stored is not None and stored[0] == texts else None


@dataclass(frozen=True)
class SentenceSimilarity:
    """The quotable sentences of one section, in document order, and each one's cosine
    similarity to the (focused) question."""

    section_id: str
    sentences: tuple[str, ...]
    similarity: tuple[float, ...]
    # also to a follow-up's own words: the curated votes are then the earlier question's
    follow_up: bool = False

    def with_follow_up(self, to_own_words: SentenceSimilarity) -> SentenceSimilarity:
        """Each sentence's similarity to both turns averaged with ``to_own_words``', its
        similarity to the follow-up's own words."""
        both = zip(self.similarity, to_own_words.similarity, strict=True)
        averaged = tuple(round((one + other) / 2, 6) for one, other in both)
        return replace(self, similarity=averaged, follow_up=True)


class SentenceVectors:
    """Each section's quotable sentences and their unit vectors, per index (bounded): found once
    per index, release and section, so a search neither splits nor embeds a section again."""

    def __init__(self, limit: int = 1024) -> None:
        self._memo: IndexMemo[tuple[str, str], tuple[tuple[str, ...], np.ndarray]] = IndexMemo(
            limit
        )

    def similarity(
        self,
        index: str,
        release: str,
        stored: StoredSentences,
        section: Section,
        embedder: Embedder,
        query: np.ndarray,
    ) -> SentenceSimilarity:
        texts, vectors = self._memo.get(
            index, (release, section.id), lambda: _sentences_of(section, stored, embedder)
        )
        scores = vectors @ query if texts else ()
        return SentenceSimilarity(
            section.id, texts, tuple(round(float(score), 6) for score in scores)
        )


def _sentences_of(
    section: Section, stored: StoredSentences, embedder: Embedder
) -> tuple[tuple[str, ...], np.ndarray]:
    """The section's quotable sentences and their vectors: the index's, or embedded here when
    the index stores other sentences for it."""
    texts = tuple(s.text for s in quotable_sentences(section.body or section.title))
    if not texts:
        return texts, np.zeros((0, 0), dtype=np.float32)
    vectors = stored.vectors(section.id, texts)
    return texts, vectors if vectors is not None else _unit_rows(embedder.embed(list(texts)))


def sentence_fit(scored: SentenceSimilarity) -> float:
    """How well the section's own sentences match the question: the mean similarity of its two
    best (one sentence alone can match by a shared phrase; two agreeing rarely do)."""
    best = sorted(scored.similarity, reverse=True)[:2]
    return sum(best) / len(best) if best else 0.0


def _unit_rows(vectors: ArrayLike) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
