"""Hybrid retrieval: dense (Chroma) + lexical (BM25) over chunks, fused on normalised scores and
grouped so that each section is ranked once, with examples ranked alongside as precedents.

A section's score is the sum of
* its best dense match among prose, commentary, whole examples (x0.8) and example user turns
  (a raw user prompt resembles an example's user turn more than any prose);
* BM25 of its best prose chunk (x0.2) and best example (x0.1), each normalised by the query's
  best BM25 score so that the weights mean the same for every query;
* the similarity of the question to the section's centroid (x0.4): its topic as a whole;
* a literal section id or full title in the question, which wins outright.
Titles and heading paths count through the path that prefixes every chunk (a separate title BM25
lowered recall on the eval). The weights were fitted on tests/eval (questions and raw prompts), on
a coarse grid to avoid fitting one list. The query is first stripped of
words that every section shares ("ChatGPT", "the model", "the spec") so they cannot pick hubs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.models import Example, Section
from server.corpus import ChunkRecord, Corpus, ReleaseCorpus, lexical_tokens, section_ids_in
from specqa.embedding import Embedder
from specqa.errors import InputError
from specqa.store import VectorStore

__all__ = [
    "ExampleHit",
    "HybridRetriever",
    "SearchFilters",
    "SearchResult",
    "SectionHit",
    "focus_query",
]

EXAMPLE_DENSE = 0.8
PROSE_LEXICAL = 0.2
EXAMPLE_LEXICAL = 0.1
CENTROID = 0.4
EXACT_BONUS = 1.0
LABELS = ("GOOD", "BAD", "OK")
AUTHORITIES = ("root", "system", "developer", "user", "guideline", "platform")
_DOMAIN_WORDS = re.compile(
    r"\b(chat ?gpt|openai'?s?|(the )?model spec|the spec|(the |an )?assistant|the model|"
    r"(the |an )?ai|gpt-?\d*|llms?|chatbots?)\b",
    re.IGNORECASE,
)


def focus_query(question: str) -> str:
    """The question without the words every section shares; unchanged if little would remain."""
    focused = " ".join(_DOMAIN_WORDS.sub(" ", question).split())
    return focused if len(focused.split()) >= 2 else question


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


@dataclass
class _Signals:
    """Per-query scores, all indexed like ``rc.chunks`` (dense: 0 where Chroma did not return it)."""

    dense: np.ndarray
    lexical: np.ndarray
    centroid: np.ndarray


class HybridRetriever:
    """The one retrieval module every surface goes through."""

    def __init__(
        self,
        corpus: Callable[[], Corpus],
        embedder: Embedder,
        store: VectorStore,
        *,
        candidates: int = 60,
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
        focused = focus_query(question)
        vector = self._embedder.embed_query(focused)
        timings["embed_ms"] = _ms(started)
        started = time.perf_counter()
        dense = self._dense(corpus, rc, vector, narrowed=filters != SearchFilters())
        timings["dense_ms"] = _ms(started)
        started = time.perf_counter()
        signals = _signals(rc, focused, vector, dense)
        sections = _rank_sections(rc, signals, question, filters)[:k_sections]
        examples = _rank_examples(rc, signals, sections, filters)[:k_examples]
        timings["rank_ms"] = _ms(started)
        return SearchResult(rc.release, sections, examples, timings)

    def _dense(
        self, corpus: Corpus, rc: ReleaseCorpus, vector: list[float], *, narrowed: bool
    ) -> dict[str, float]:
        """Chunk id -> cosine similarity for the nearest chunks of the release, from Chroma."""
        collection = self._store.collection(corpus.manifest.collection)
        result: Any = self._store.call(
            lambda: collection.query(
                query_embeddings=[vector],
                n_results=min(len(rc.chunks), self._candidates * (3 if narrowed else 1)),
                where={"release": rc.release},
                include=["distances"],
            )
        )
        return {
            chunk_id: 1.0 - float(distance)
            for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        }


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _signals(
    rc: ReleaseCorpus, query: str, vector: list[float], dense: dict[str, float]
) -> _Signals:
    tokens = lexical_tokens([query])[0]
    lexical = _normalised(rc.bm25.get_scores(tokens)) if tokens else np.zeros(len(rc.chunks))
    return _Signals(
        dense=np.array([dense.get(chunk.id, 0.0) for chunk in rc.chunks]),
        lexical=lexical,
        centroid=rc.centroids @ np.asarray(vector, dtype=np.float32),
    )


def _normalised(scores: Any) -> np.ndarray:
    array = np.asarray(scores, dtype=np.float64)
    top = float(array.max()) if array.size else 0.0
    return array / top if top > 0 else np.zeros_like(array)


def _rank_sections(
    rc: ReleaseCorpus, signals: _Signals, question: str, filters: SearchFilters
) -> list[SectionHit]:
    best_dense: dict[str, float] = {}
    prose_lexical: dict[str, float] = {}
    example_lexical: dict[str, float] = {}
    best_chunks: dict[str, list[tuple[float, ChunkRecord]]] = {}
    for index, chunk in enumerate(rc.chunks):
        sid = chunk.section_id
        weight = EXAMPLE_DENSE if chunk.kind == "example" else 1.0
        best_dense[sid] = max(best_dense.get(sid, 0.0), weight * signals.dense[index])
        if chunk.kind in ("section", "commentary"):
            prose_lexical[sid] = max(prose_lexical.get(sid, 0.0), signals.lexical[index])
            best_chunks.setdefault(sid, []).append(
                (signals.dense[index] + signals.lexical[index], chunk)
            )
        elif chunk.kind == "example":
            example_lexical[sid] = max(example_lexical.get(sid, 0.0), signals.lexical[index])
    exact = set(section_ids_in(question, set(rc.sections_by_id))) | _titles_in(rc, question)
    hits: list[SectionHit] = []
    for position, section in enumerate(rc.parsed.sections):
        if not _section_allowed(section, filters):
            continue
        sid = section.id
        score = (
            best_dense.get(sid, 0.0)
            + PROSE_LEXICAL * prose_lexical.get(sid, 0.0)
            + EXAMPLE_LEXICAL * example_lexical.get(sid, 0.0)
            + CENTROID * float(signals.centroid[position])
            + (EXACT_BONUS if sid in exact else 0.0)
        )
        ranked = [chunk for _, chunk in sorted(best_chunks.get(sid, []), key=lambda p: -p[0])]
        hits.append(SectionHit(section, round(score, 6), rc.path(section), ranked[:3]))
    hits.sort(key=lambda hit: (-hit.score, hit.section.id))
    return hits


def _titles_in(rc: ReleaseCorpus, question: str) -> set[str]:
    lowered = question.lower()
    return {s.id for s in rc.parsed.sections if len(s.title) >= 12 and s.title.lower() in lowered}


def _section_allowed(section: Section, filters: SearchFilters) -> bool:
    if filters.authority is not None and section.authority != filters.authority:
        return False
    return (
        filters.section is None
        or section.id == filters.section
        or filters.section in section.parents
    )


def _rank_examples(
    rc: ReleaseCorpus, signals: _Signals, sections: list[SectionHit], filters: SearchFilters
) -> list[ExampleHit]:
    """Examples by their best key (whole example or its user turns), nudged towards top sections."""
    top_sections = {hit.section.id: rank for rank, hit in enumerate(sections)}
    scores: dict[str, float] = {}
    for index, chunk in enumerate(rc.chunks):
        if chunk.kind not in ("example", "example_prompt") or chunk.example_id is None:
            continue
        value = signals.dense[index] + EXAMPLE_LEXICAL * signals.lexical[index]
        scores[chunk.example_id] = max(scores.get(chunk.example_id, 0.0), value)
    hits: list[ExampleHit] = []
    for example_id, score in scores.items():
        example = rc.examples_by_id[example_id]
        section = rc.sections_by_id[example.section_id]
        if not example.responses or not _section_allowed(section, filters):
            continue
        if filters.label is not None and filters.label.upper() not in example.labels:
            continue
        rank = top_sections.get(section.id)
        bonus = 0.05 / (1 + rank) if rank is not None else 0.0
        hits.append(ExampleHit(example, round(score + bonus, 6), section))
    hits.sort(key=lambda hit: (-hit.score, hit.example.id))
    return [hit for hit in hits if hit.score > 0]
