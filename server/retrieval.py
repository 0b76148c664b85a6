"""Hybrid retrieval: dense (Chroma) + lexical (BM25) over chunks, fused by reciprocal rank and
grouped so that each section is ranked once, with examples ranked alongside as precedents.

How a section earns its score (all terms are reciprocal-rank fusion terms, 1/(K + rank)):
* its best prose or commentary chunk, by dense and by lexical rank;
* its best example chunk, at a discount (a matching precedent points at the governing section,
  which is what finds the section for a raw user prompt rather than a question);
* its title and heading path, by a BM25 over titles;
* a literal section id or full title in the question wins outright.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ingest.models import Example, Section
from server.corpus import ChunkRecord, Corpus, ReleaseCorpus, lexical_tokens, section_ids_in
from specqa.embedding import Embedder
from specqa.errors import InputError
from specqa.store import VectorStore

__all__ = ["ExampleHit", "HybridRetriever", "SearchFilters", "SearchResult", "SectionHit"]

RRF_K = 60
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.8
TITLE_WEIGHT = 0.5
EXAMPLE_WEIGHT = 0.6
EXACT_BONUS = 1.0
LABELS = ("GOOD", "BAD", "OK")
AUTHORITIES = ("root", "system", "developer", "user", "guideline", "platform")


@dataclass(frozen=True)
class SearchFilters:
    authority: str | None = None
    section: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.authority is not None and self.authority not in AUTHORITIES:
            raise InputError(
                f"unknown authority {self.authority!r} (one of: {', '.join(AUTHORITIES)})"
            )
        if self.label is not None and self.label.upper() not in LABELS:
            raise InputError(f"unknown label {self.label!r} (one of: {', '.join(LABELS)})")


@dataclass
class SectionHit:
    section: Section
    score: float
    path: list[str]
    chunks: list[ChunkRecord]


@dataclass
class ExampleHit:
    example: Example
    score: float
    section: Section


@dataclass
class SearchResult:
    release: str
    sections: list[SectionHit]
    examples: list[ExampleHit]
    timings: dict[str, float] = field(default_factory=dict)


class HybridRetriever:
    """The one retrieval module every surface goes through."""

    def __init__(
        self,
        corpus: Callable[[], Corpus],
        embedder: Embedder,
        store: VectorStore,
        *,
        candidates: int = 40,
    ) -> None:
        self._corpus = corpus
        self._embedder = embedder
        self._store = store
        self._candidates = candidates

    def search(
        self,
        question: str,
        release: str | None = None,
        filters: SearchFilters | None = None,
        k_sections: int = 5,
        k_examples: int = 3,
    ) -> SearchResult:
        filters = filters or SearchFilters()
        corpus = self._corpus()
        rc = corpus.get(release)
        if filters.section is not None:
            rc.section(filters.section)  # unknown section -> clear error
        timings: dict[str, float] = {}
        started = time.perf_counter()
        vector = self._embedder.embed_query(question)
        timings["embed_ms"] = _ms(started)
        started = time.perf_counter()
        dense = self._dense(corpus, rc, vector, filters)
        timings["dense_ms"] = _ms(started)
        started = time.perf_counter()
        lexical = _lexical(rc, question, self._candidates)
        titles = _title_ranks(rc, question)
        fused = _fuse(dense, lexical)
        sections = _rank_sections(rc, fused, titles, question, filters)[:k_sections]
        examples = _rank_examples(rc, fused, sections, filters)[:k_examples]
        timings["fuse_ms"] = _ms(started)
        return SearchResult(rc.release, sections, examples, timings)

    def _dense(
        self, corpus: Corpus, rc: ReleaseCorpus, vector: list[float], filters: SearchFilters
    ) -> list[str]:
        collection = self._store.collection(corpus.manifest.collection)
        narrowed = filters != SearchFilters()
        result: Any = self._store._guard(
            lambda: collection.query(
                query_embeddings=[vector],
                n_results=self._candidates * (4 if narrowed else 1),
                where={"release": rc.release},
                include=["distances"],
            )
        )
        return list(result["ids"][0])


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _lexical(rc: ReleaseCorpus, question: str, k: int) -> list[str]:
    tokens = lexical_tokens([question])
    if not tokens[0]:
        return []
    docs, scores = rc.bm25.retrieve(tokens, k=min(k, len(rc.chunks)), show_progress=False)
    return [rc.chunks[int(d)].id for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


def _title_ranks(rc: ReleaseCorpus, question: str) -> dict[str, int]:
    tokens = lexical_tokens([question])
    if not tokens[0]:
        return {}
    sections = rc.parsed.sections
    docs, scores = rc.titles_bm25.retrieve(tokens, k=min(10, len(sections)), show_progress=False)
    return {
        sections[int(d)].id: rank
        for rank, (d, s) in enumerate(zip(docs[0], scores[0], strict=True))
        if s > 0
    }


def _fuse(dense: list[str], lexical: list[str]) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    for rank, chunk_id in enumerate(dense):
        scores[chunk_id] += DENSE_WEIGHT / (RRF_K + rank)
    for rank, chunk_id in enumerate(lexical):
        scores[chunk_id] += LEXICAL_WEIGHT / (RRF_K + rank)
    return scores


def _rank_sections(
    rc: ReleaseCorpus,
    fused: dict[str, float],
    titles: dict[str, int],
    question: str,
    filters: SearchFilters,
) -> list[SectionHit]:
    chunks = {c.id: c for c in rc.chunks}
    prose: dict[str, list[tuple[float, ChunkRecord]]] = defaultdict(list)
    example_best: dict[str, float] = {}
    for chunk_id, score in fused.items():
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        if chunk.kind == "example":
            example_best[chunk.section_id] = max(example_best.get(chunk.section_id, 0.0), score)
        else:
            prose[chunk.section_id].append((score, chunk))
    exact = set(section_ids_in(question, set(rc.sections_by_id))) | _titles_in(rc, question)
    scored: list[SectionHit] = []
    for section in rc.parsed.sections:
        if not _section_allowed(rc, section, filters):
            continue
        ranked = sorted(prose.get(section.id, []), key=lambda pair: -pair[0])
        score = ranked[0][0] if ranked else 0.0
        score += EXAMPLE_WEIGHT * example_best.get(section.id, 0.0)
        if section.id in titles:
            score += TITLE_WEIGHT / (RRF_K + titles[section.id])
        if section.id in exact:
            score += EXACT_BONUS
        if score > 0:
            scored.append(SectionHit(section, score, rc.path(section), [c for _, c in ranked[:3]]))
    scored.sort(key=lambda hit: (-hit.score, hit.section.id))
    return scored


def _titles_in(rc: ReleaseCorpus, question: str) -> set[str]:
    lowered = question.lower()
    return {s.id for s in rc.parsed.sections if len(s.title) >= 12 and s.title.lower() in lowered}


def _section_allowed(rc: ReleaseCorpus, section: Section, filters: SearchFilters) -> bool:
    if filters.authority is not None and section.authority != filters.authority:
        return False
    return (
        filters.section is None
        or section.id == filters.section
        or filters.section in section.parents
    )


def _rank_examples(
    rc: ReleaseCorpus, fused: dict[str, float], sections: list[SectionHit], filters: SearchFilters
) -> list[ExampleHit]:
    top_sections = {hit.section.id: rank for rank, hit in enumerate(sections)}
    hits: list[ExampleHit] = []
    for chunk in rc.chunks:
        if chunk.kind != "example" or chunk.id not in fused:
            continue
        example = rc.examples_by_id[str(chunk.example_id)]
        if not example.responses:  # a rendering sample, not a precedent
            continue
        section = rc.sections_by_id[example.section_id]
        if not _section_allowed(rc, section, filters):
            continue
        if filters.label is not None and filters.label.upper() not in example.labels:
            continue
        bonus = 1 / (RRF_K + top_sections[section.id]) if section.id in top_sections else 0.0
        hits.append(ExampleHit(example, fused[chunk.id] + 0.5 * bonus, section))
    hits.sort(key=lambda hit: (-hit.score, hit.example.id))
    return hits
