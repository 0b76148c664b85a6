"""Which labelled examples a search returns, and in what order.

An example scores by its best key (the whole example or one of its user turns, dense plus a little
BM25) and a bonus for belonging to one of the top sections. The two uses weigh them differently:

- beside an answer, the examples are candidates for the cited sections' own (see
  ``server.domain.answering.lead.cited_examples``): the bonus only breaks near ties, and a section
  only about a topic the question does not speak of (voice, minors, sex, politics) gives none;
- a precedent search (a topic, a pasted exchange, an audit row) is looking for the examples of
  the sections that govern what it names, of any topic: their examples come first. On the dev
  splits of four eval sets, as queries, the share of the first five examples that belong to a
  governing section was 0.31 with the answer's weights and 0.50 with a 0.5 bonus (0.54 at 0.8,
  where the section order alone decides); with section titles as queries, 0.54 and 0.59. A
  search by a word or two ("bomb", "lock picking") is a search for the examples that say them:
  those come first (a reviewer found an example of tone ranked above the two about a bomb's
  volume, from its section's bonus).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from server.domain.retrieval.chunks import ChunkLayout
from server.domain.retrieval.corpus import ReleaseCorpus, lexical_tokens
from server.domain.retrieval.query_cues import TOPIC_CUES
from server.domain.retrieval.results import ExampleHit, SearchFilters, SectionHit
from server.domain.retrieval.weights import EXAMPLE_LEXICAL
from specqa.core.spec import Example

__all__ = [
    "ANSWER_EXAMPLES",
    "PRECEDENT_RANKING",
    "ExampleRanking",
    "gated_out_by_topic",
    "rank_examples",
]


@dataclass(frozen=True)
class ExampleRanking:
    section_bonus: float  # for the first section's examples; the n-th section's gets 1/n of it
    topic_gate: bool  # no example of a section only about a topic the query does not speak of
    words_first: bool = False  # a query of a word or two: the examples that say them come first


ANSWER_EXAMPLES = ExampleRanking(section_bonus=0.05, topic_gate=True)
PRECEDENT_RANKING = ExampleRanking(section_bonus=0.5, topic_gate=False, words_first=True)
_KEYWORDS_MAX = 3  # stems of a query that is a search by words, not a question


def gated_out_by_topic(layout: ChunkLayout, question: str) -> np.ndarray:
    """Section order: the sections only about a topic the question's words do not touch."""
    gated = np.zeros(len(layout.section_order), dtype=bool)
    for topic, only_about in layout.topic_sections.items():
        if not TOPIC_CUES[topic](question):
            gated |= only_about
    return gated


def rank_examples(
    rc: ReleaseCorpus,
    dense: np.ndarray,
    lexical: np.ndarray,
    sections: list[SectionHit],
    filters: SearchFilters,
    gated_out: np.ndarray,
    ranking: ExampleRanking,
    query: str = "",
) -> list[ExampleHit]:
    """Examples by their best key, nudged towards the top ``sections`` (see the module)."""
    top_sections = {hit.section.id: rank for rank, hit in enumerate(sections)}
    layout = rc.chunk_layout()
    values = dense + EXAMPLE_LEXICAL * lexical
    best = np.zeros(len(layout.example_ids))
    np.maximum.at(best, layout.example_slot, values[layout.example_rows])
    # only an example that matched, or one of a top section (it gets a bonus), can score above 0
    candidates = [layout.example_ids[slot] for slot in np.flatnonzero(best > 0)]
    candidates += [e for hit in sections for e in hit.section.example_ids]
    slot_of = layout.example_slots
    hits: list[ExampleHit] = []
    for example_id in dict.fromkeys(candidates):
        example = rc.examples_by_id[example_id]
        section = rc.sections_by_id[example.section_id]
        if example_id not in slot_of or not example.responses:
            continue
        if not filters.admits(section, example):
            continue
        if ranking.topic_gate and gated_out[layout.section_order[section.id]]:
            continue
        rank = top_sections.get(section.id)
        bonus = ranking.section_bonus / (1 + rank) if rank is not None else 0.0
        hits.append(
            ExampleHit(example, round(float(best[slot_of[example_id]]) + bonus, 6), section)
        )
    hits = [hit for hit in hits if hit.score > 0]
    saying = _saying_the_words(hits, query) if ranking.words_first else set()
    hits.sort(key=lambda hit: (hit.example.id not in saying, -hit.score, hit.example.id))
    return hits


def _saying_the_words(hits: list[ExampleHit], query: str) -> set[str]:
    """The ids of the examples whose text has every stem of ``query``, when it is a search by a
    word or two (a longer query is a question, which no example says word for word)."""
    wanted = set(lexical_tokens([query])[0])
    if not wanted or len(wanted) > _KEYWORDS_MAX:
        return set()
    texts = [_example_text(hit.example) for hit in hits]
    stems = lexical_tokens(texts) if texts else []
    return {hit.example.id for hit, own in zip(hits, stems, strict=True) if wanted <= set(own)}


def _example_text(example: Example) -> str:
    turns = [turn.content for turn in example.conversation]
    return " ".join([example.title, *turns, *(r.text for r in example.responses)])
