"""Hybrid retrieval: dense (the vectors loaded with the index, or Chroma's query) + lexical (BM25)
over chunks, fused on normalised scores and grouped so that each section is ranked once, with
examples ranked alongside as precedents.

A section's score is the sum of
* its best dense match among prose, commentary, whole examples (x0.8), example user turns
  (a raw user prompt resembles an example's user turn more than any prose) and the question-bank
  questions filed under it (x``BANK_DENSE``: the way people ask, curated);
* BM25 of its best prose chunk (x0.2), best example (x0.1) and best curated question
  (x``BANK_LEXICAL``), each normalised by the query's best BM25 score so that the weights mean
  the same for every query;
* the similarity of the question to the section's centroid (x0.4): its topic as a whole;
* its share of the vote of the question's ten closest bank questions (x``BANK_VOTE``; a close one
  weighs more): several close curated questions that agree outweigh one closer question of another
  section that shares a word with the query;
* a literal section id or full title in the question, which wins outright;
* for the first five (the sections that can be cited), x``SENTENCE_FIT`` the mean similarity of
  their two best sentences to the question: the section whose own sentence speaks of the
  situation beats one that only shares its topic or words;
* minus half the section's hub prior (x0.5): the mean score it gets when the corpus's own chunks
  of *other* sections are used as queries (section-level CSLS). A section that attracts text not
  about it (many diverse examples, generic wording) is discounted by how much it does so; 0.5 is
  the CSLS constant (2cos - r_q - r_t, halved; r_q is the same for every section), not a fit.
Titles and heading paths count through the path that prefixes every chunk (a separate title BM25
lowered recall on the eval). The weights were fitted on tests/eval (questions and raw prompts), on
a coarse grid to avoid fitting one list, and checked on tests/eval/heldout.jsonl, written before
the hub prior was tried. The query is first stripped of
words that every section shares ("ChatGPT", "the model", "the spec") so they cannot pick hubs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from server.domain.retrieval.chunks import key_weights
from server.domain.retrieval.corpus import Corpus, ReleaseCorpus, lexical_tokens, section_ids_in
from server.domain.retrieval.curated import bank_vote, closest_bank, topicality
from server.domain.retrieval.example_ranking import (
    ANSWER_EXAMPLES,
    PRECEDENT_RANKING,
    gated_out_by_topic,
    rank_examples,
)
from server.domain.retrieval.query_cues import about_the_spec, focus_query
from server.domain.retrieval.results import (
    ExampleHit,
    RankClarity,
    RetrievalResult,
    SearchFilters,
    SectionHit,
)
from server.domain.retrieval.sentences import SentenceSimilarity, SentenceVectors, sentence_fit
from server.domain.retrieval.weights import (
    BANK_DENSE,
    BANK_LEXICAL,
    BANK_VOTE,
    BANK_VOTE_NEIGHBOURS,
    BANK_VOTE_TEMPERATURE,
    CANDIDATES,
    CENTROID,
    EXACT_BONUS,
    EXAMPLE_LEXICAL,
    EXPLANATORY_LEAD,
    HUB_PRIOR,
    PROSE_LEXICAL,
    SENTENCE_DEPTH,
    SENTENCE_FIT,
    TOPIC_GATE,
)
from specqa.core.chunk_metadata import ChunkRecord
from specqa.core.embedding import Embedder
from specqa.core.spec import Section
from specqa.core.store import VectorStore

__all__ = [
    "ExampleHit",
    "HybridRetriever",
    "RankClarity",
    "RetrievalResult",
    "SearchFilters",
    "SectionHit",
    "focus_query",
]


@dataclass
class _Signals:
    """Per-query scores, all indexed like ``rc.chunks`` (dense: 0 where Chroma did not return
    it; bank keys are always scored exactly, in memory)."""

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
        candidates: int = CANDIDATES,
        in_memory: bool = True,
    ) -> None:
        self._corpus = corpus
        self._embedder = embedder
        self._store = store
        self._candidates = candidates
        self._in_memory = in_memory
        self._sentence_vectors = SentenceVectors()

    def search(
        self,
        question: str,
        release: str | None = None,
        filters: SearchFilters | None = None,
        k_sections: int = 5,
        k_examples: int = 3,
        with_sentences: bool = False,
        focus: str | None = None,
        precedents: bool = False,
    ) -> RetrievalResult:
        """``with_sentences``: also each sentence of the first section's similarity (to the
        question, and as much to ``focus``, the words a follow-up adds to the earlier question it
        is retrieved with: they, not the earlier question, say which sentence answers it).
        ``precedents``: a search for examples, which may be of any topic (no topic gate)."""
        filters = filters or SearchFilters()
        corpus = self._corpus()
        rc = corpus.get(release)
        filters.check(rc)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        focused = focus_query(question)
        # the model the corpus's vectors were made with (it changes with a new tuned build)
        vector = (corpus.embedder or self._embedder).embed_query(focused)
        timings["embed_ms"] = _ms(started)
        started = time.perf_counter()
        wanted = self._candidates * (3 if filters != SearchFilters() else 1)
        query = _unit(vector)
        similarity = rc.vectors @ query  # every chunk's, one matrix product (about 0.3 ms)
        dense = (
            _nearest_in_memory(rc, similarity, wanted)
            if self._in_memory
            else self._nearest_in_chroma(corpus, rc, vector, wanted)
        )
        dense = _with_bank_keys(rc, similarity, dense)
        timings["dense_ms"] = _ms(started)
        started = time.perf_counter()
        signals = _signals(rc, focused, vector, dense)
        embedder = corpus.embedder or self._embedder
        index = corpus.manifest.collection

        scored: dict[str, SentenceSimilarity] = {}  # the ranking's, reused for the bottom line

        def similarity_of(section: Section) -> SentenceSimilarity:
            if section.id not in scored:
                scored[section.id] = self._sentence_vectors.similarity(
                    index, rc.release, rc.sentences, section, embedder, query
                )
            return scored[section.id]

        gated_out = gated_out_by_topic(rc.chunk_layout(), question)
        sections, clarity = _rank_sections(
            rc, signals, question, gated_out, filters, k_sections, similarity_of
        )
        ranking = PRECEDENT_RANKING if precedents else ANSWER_EXAMPLES
        examples = rank_examples(
            rc, signals.dense, signals.lexical, sections, filters, gated_out, ranking, question
        )[:k_examples]
        admits = filters.admits if filters != SearchFilters() else None
        bank = closest_bank(
            rc, signals.dense, signals.lexical, [h.section.id for h in sections], admits
        )
        on_topic, off_topic, share = topicality(rc, signals.dense, corpus.not_covered, query)
        clarity = replace(clarity, on_topic=on_topic, off_topic=off_topic, off_topic_share=share)
        timings["rank_ms"] = _ms(started)
        sentences = similarity_of(sections[0].section) if with_sentences and sections else None
        if sentences is not None and focus:
            own_words = _unit(embedder.embed_query(focus_query(focus)))
            to_own = self._sentence_vectors.similarity(
                index, rc.release, rc.sentences, sections[0].section, embedder, own_words
            )
            sentences = sentences.with_follow_up(to_own)
        return RetrievalResult(rc.release, sections, examples, timings, clarity, bank, sentences)

    def _nearest_in_chroma(
        self, corpus: Corpus, rc: ReleaseCorpus, vector: list[float], wanted: int
    ) -> np.ndarray:
        """The cosine similarity of the release's nearest chunks, from Chroma, indexed like
        ``rc.chunks`` (0 elsewhere): a Chroma server's outage is then every query's 503, as it
        should be for a shared index."""
        layout = rc.chunk_layout()
        own = int((~layout.is_bank).sum())
        nearest = self._store.nearest(
            corpus.manifest.collection,
            vector,
            min(own, wanted),
            where={"$and": [{"release": rc.release}, {"kind": {"$nin": ["bank", "sentence"]}}]},
        )
        dense = np.zeros(len(rc.chunks))
        position = layout.position
        for chunk_id, similarity in nearest:
            dense[position[chunk_id]] = similarity
        return dense


def _unit(vector: list[float]) -> np.ndarray:
    query = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    return query / norm if norm else query


def _nearest_in_memory(rc: ReleaseCorpus, similarity: np.ndarray, wanted: int) -> np.ndarray:
    """The same neighbours as Chroma's query, exactly, from the similarity to every chunk the
    corpus loaded (Chroma's filtered search takes about 6 ms, most of a warm search's time after
    the query embedding). Bank keys are not candidates here: :func:`_with_bank_keys` scores them."""
    own = rc.chunk_layout().own_rows
    count = min(len(own), wanted)
    nearest = own[np.argpartition(-similarity[own], count - 1)[:count]]
    dense = np.zeros(len(rc.chunks))
    dense[nearest] = similarity[nearest]
    return dense


def _with_bank_keys(rc: ReleaseCorpus, similarity: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """``dense`` with every bank key's exact similarity: a key is one short question, so all of
    them are scored (in memory, whatever the dense source) instead of competing with the spec's
    own chunks for the candidate places."""
    bank = rc.chunk_layout().bank_rows
    dense[bank] = similarity[bank]
    return dense


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _signals(rc: ReleaseCorpus, query: str, vector: list[float], dense: np.ndarray) -> _Signals:
    tokens = lexical_tokens([query])[0]
    lexical = _normalised(rc.bm25.get_scores(tokens)) if tokens else np.zeros(len(rc.chunks))
    return _Signals(
        dense=dense,
        lexical=lexical,
        centroid=rc.centroids @ np.asarray(vector, dtype=np.float32),
    )


def _normalised(scores: Any) -> np.ndarray:
    array = np.asarray(scores, dtype=np.float64)
    top = float(array.max()) if array.size else 0.0
    return array / top if top > 0 else np.zeros_like(array)


def _rank_sections(
    rc: ReleaseCorpus,
    signals: _Signals,
    question: str,
    gated_out: np.ndarray,
    filters: SearchFilters,
    limit: int,
    sentences: Callable[[Section], SentenceSimilarity],
) -> tuple[list[SectionHit], RankClarity]:
    layout = rc.chunk_layout()
    count = len(rc.parsed.sections)
    weighted = key_weights(layout) * signals.dense
    keys = layout.is_example | layout.is_prompt
    single = {
        "prose": _max_by_section(
            np.where(keys | layout.is_bank, 0.0, weighted), layout.section_of, count
        ),
        "examples": _max_by_section(np.where(keys, weighted, 0.0), layout.section_of, count),
        "bank": BANK_DENSE
        * _max_by_section(np.where(layout.is_bank, signals.dense, 0.0), layout.section_of, count),
        "lexical": PROSE_LEXICAL
        * _max_by_section(np.where(layout.is_prose, signals.lexical, 0.0), layout.section_of, count)
        + EXAMPLE_LEXICAL
        * _max_by_section(
            np.where(layout.is_example, signals.lexical, 0.0), layout.section_of, count
        )
        + BANK_LEXICAL
        * _max_by_section(np.where(layout.is_bank, signals.lexical, 0.0), layout.section_of, count),
    }
    score = np.maximum.reduce([single["prose"], single["examples"], single["bank"]])
    score += single["lexical"]
    score += CENTROID * signals.centroid
    score -= HUB_PRIOR * rc.hub_prior
    score += BANK_VOTE * bank_vote(rc, signals.dense, BANK_VOTE_NEIGHBOURS, BANK_VOTE_TEMPERATURE)
    exact = section_ids_in(question, set(rc.sections_by_id)) + _titles_in(rc, question)
    score -= TOPIC_GATE * gated_out
    for section_id in dict.fromkeys(exact):
        score[layout.section_order[section_id]] += EXACT_BONUS
    allowed = [i for i, s in enumerate(rc.parsed.sections) if filters.admits(s)]
    order = sorted(allowed, key=lambda i: (-float(score[i]), rc.parsed.sections[i].id))
    for i in order[:SENTENCE_DEPTH]:
        score[i] += SENTENCE_FIT * sentence_fit(sentences(rc.parsed.sections[i]))
    order = sorted(allowed, key=lambda i: (-float(score[i]), rc.parsed.sections[i].id))
    if not exact and not about_the_spec(question):
        order = _rule_first(rc, order, score)
    ranked = order[:limit]
    hits = [
        SectionHit(
            rc.parsed.sections[i],
            round(float(score[i]), 6),
            layout.paths[i],
            _best_prose(rc, signals, i),
        )
        for i in ranked
    ]
    return hits, _clarity(score, single.values(), allowed, order[:2], rc.parsed.sections)


def _rule_first(rc: ReleaseCorpus, order: list[int], score: np.ndarray) -> list[int]:
    """``order`` with the best section that has an authority level first, unless an explanatory
    section (overview, definitions, a heading over rules) leads it by ``EXPLANATORY_LEAD``: then
    the question is about what the spec itself explains ("what message roles exist?", "does it
    have special rules for teens?") even in words no cue knows. (A question that names the spec,
    ``about_the_spec``, is never reordered.)"""
    sections = rc.parsed.sections
    if not order or sections[order[0]].authority:
        return order
    ruled = next((i for i in order if sections[i].authority), None)
    if ruled is None or score[order[0]] - score[ruled] >= EXPLANATORY_LEAD:
        return order
    return [ruled, *(i for i in order if i != ruled)]


def _clarity(
    score: np.ndarray,
    signals: Iterable[np.ndarray],
    allowed: list[int],
    first_two: list[int],
    sections: list[Section],
) -> RankClarity:
    """The margin over the second section (whatever ``k`` was asked), the signals' agreement and
    whether the two link to each other."""
    if not first_two:
        return RankClarity()
    top = first_two[0]
    margin = float(score[top] - score[first_two[1]]) if len(first_two) > 1 else float(score[top])
    agreement = sum(1 for signal in signals if allowed[int(np.argmax(signal[allowed]))] == top)
    pair = [sections[i] for i in first_two]
    linked = len(pair) == 2 and (pair[1].id in pair[0].refs or pair[0].id in pair[1].refs)
    return RankClarity(round(margin, 6), agreement, linked=linked)


def _max_by_section(values: np.ndarray, section_of: np.ndarray, count: int) -> np.ndarray:
    best = np.zeros(count)
    np.maximum.at(best, section_of, values)
    return best


def _best_prose(rc: ReleaseCorpus, signals: _Signals, section: int) -> list[ChunkRecord]:
    layout = rc.chunk_layout()
    indices = np.flatnonzero((layout.section_of == section) & layout.is_prose)
    order = sorted(indices, key=lambda i: -(signals.dense[i] + signals.lexical[i]))
    return [rc.chunks[int(i)] for i in order[:3]]


def _titles_in(rc: ReleaseCorpus, question: str) -> list[str]:
    """The sections whose full title the question says, as written or inflected otherwise."""
    lowered = question.lower()
    exact = [s.id for s in rc.parsed.sections if len(s.title) >= 12 and s.title.lower() in lowered]
    asked = lexical_tokens([question])[0]
    return exact + [
        section_id
        for section_id, title in rc.title_stems.items()
        if any(tuple(asked[i : i + len(title)]) == title for i in range(len(asked)))
    ]
