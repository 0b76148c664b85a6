"""An answer's quotes: the sentences of a section that best answer a question, verbatim, in
document order (neighbours as one passage; see :mod:`specqa.core.quotes`)."""

from __future__ import annotations

import math
from functools import lru_cache

from server.domain.retrieval.corpus import lexical_tokens
from specqa.core.question_bank import normalise_quotes
from specqa.core.quotes import GAP, Sentence, quotable_sentences, section_blocks
from specqa.core.text import NORMATIVE, PERMISSIVE

__all__ = ["best_sentences"]


def best_sentences(
    body: str, question: str, limit: int = 2, max_chars: int = 420, leave_out: str = ""
) -> str:
    """A verbatim quote of the section ``body``: its ``limit`` best sentences for ``question``
    in document order, neighbours as one passage, others joined by " […] " (see specqa.core.quotes).
    Empty when the section has no text of its own (or none but ``leave_out``)."""
    scored = _scored(body)
    if leave_out:
        left_out = normalise_quotes(leave_out)
        scored = tuple(item for item in scored if normalise_quotes(item[0].text) != left_out)
    if not scored:
        return ""
    wanted = set(lexical_tokens([question])[0])
    ranked = sorted(
        scored,
        key=lambda item: len(wanted.intersection(item[1])) / math.sqrt(item[2] + 4) + item[3],
        reverse=True,
    )
    chosen = [sentence for sentence, *_ in ranked[:limit]]
    while len(chosen) > 1 and len(_assemble(body, chosen)) > max_chars:
        chosen.pop()  # the weakest goes first
    quote = _assemble(body, chosen)
    if len(quote) <= max_chars:
        return quote
    cut = quote[: max_chars - len(GAP)].rsplit(" ", 1)[0].rstrip()
    return cut + GAP.rstrip()


def _assemble(body: str, chosen: list[Sentence]) -> str:
    """The chosen sentences in document order: consecutive ones of a block as one passage."""
    blocks = section_blocks(body)
    passages: list[list[Sentence]] = []
    for sentence in sorted(chosen, key=lambda s: s.index):
        previous = passages[-1][-1] if passages else None
        if previous and previous.block == sentence.block and previous.index + 1 == sentence.index:
            passages[-1].append(sentence)
        else:
            passages.append([sentence])
    return GAP.join(blocks[run[0].block][run[0].start : run[-1].end] for run in passages)


@lru_cache(maxsize=4096)
def _scored(body: str) -> tuple[tuple[Sentence, frozenset[str], int, float], ...]:
    """A section's candidate sentences with their stems, stem count and cue weight (cached:
    section text does not change while an index is served). When no sentence is long enough to
    be a candidate, every sentence is one."""
    sentences = quotable_sentences(body)
    stems = lexical_tokens([s.text for s in sentences]) if sentences else []
    return tuple(
        (sentence, frozenset(tokens), len(tokens), _cue_weight(sentence.text))
        for sentence, tokens in zip(sentences, stems, strict=True)
    )


def _cue_weight(sentence: str) -> float:
    """A rule or a permission is the kind of sentence that answers a question."""
    return 0.3 if NORMATIVE.search(sentence) or PERMISSIVE.search(sentence) else 0.0
