"""Extractive answers: the sentences of the governing sections that best answer the question,
quoted with their section and what its authority level means. No model writes anything here, and
the answer says so. Deterministic for a given index and question.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Protocol

from server.domain.answering.lead_text import (
    bottom_line_markdown,
    changed_since,
    confidence_label,
    confidence_markdown,
    no_match_markdown,
    not_covered_line,
    quoted_footer,
    short_answer_lines,
)
from server.domain.precedents.example_view import judged_steps, shorten
from server.domain.retrieval.corpus import lexical_tokens
from server.domain.retrieval.hybrid import RetrievalResult, SectionHit
from server.domain.schemas import (
    BottomLine,
    Confidence,
    ExampleCard,
    ExampleResponse,
    ShortAnswer,
)
from specqa.core.question_bank import normalise_quotes
from specqa.core.quotes import (
    GAP,
    Sentence,
    quotable_sentences,
    section_blocks,
    sentences_of,
    text_fragment_url,
)
from specqa.core.text import NORMATIVE, PERMISSIVE, plain_text


class Lead(Protocol):
    """What an answer leads with (:class:`server.domain.answering.lead.Lead`, which imports this module)."""

    @property
    def covered(self) -> bool: ...
    @property
    def confidence(self) -> Confidence: ...
    @property
    def bottom(self) -> BottomLine | None: ...
    @property
    def short(self) -> ShortAnswer | None: ...
    @property
    def note(self) -> str | None: ...


__all__ = [
    "AUTHORITY_MEANING",
    "PLAIN_MEANING",
    "authority_meaning",
    "best_sentences",
    "compose",
    "plain_meaning",
    "sentences_of",
]

AUTHORITY_MEANING = {
    "root": "root: a hard rule from the Model Spec itself; no system, developer or user instruction can override it",
    "system": "system: set by OpenAI (the spec or a system message); developers and users cannot override it",
    "platform": "platform (the older name for root/system): developers and users cannot override it",
    "developer": "developer: a default that developers can override; users can only within what the developer allows",
    "user": "user: a default that the user or the developer can override explicitly",
    "guideline": "guideline: a default that developers or users can override, even implicitly through context",
}
_NO_AUTHORITY = "no authority level of its own: an explanatory or grouping section"
PLAIN_MEANING = {
    "root": "a root rule: no developer or user can change it",
    "system": "a system rule: no developer or user can change it",
    "platform": "a platform rule (the older name for root and system): no developer or user can change it",
    "developer": "a default: a developer can change it, a user only where the developer allows",
    "user": "a default: a developer or the user can change it",
    "guideline": "a default: a developer or the user can change it, even implicitly",
}
_NO_AUTHORITY_PLAIN = "an explanatory section with no authority level of its own"
# an example's line in an answer: the request, and how each labelled reply opens
EXAMPLE_ASKED_CHARS = 100
EXAMPLE_REPLY_CHARS = 80
EXAMPLE_WHY_CHARS = 80


def authority_meaning(authority: str | None) -> str:
    return AUTHORITY_MEANING.get(authority or "", _NO_AUTHORITY)


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


def plain_meaning(authority: str | None) -> str:
    """What an authority level means for whoever wants to change the rule, in a few words."""
    return PLAIN_MEANING.get(authority or "", _NO_AUTHORITY_PLAIN)


def compose(
    result: RetrievalResult,
    quotes: dict[str, str],
    urls: dict[str, str],
    lead: Lead,
    question: str,
    examples: list[ExampleCard],
) -> str:
    """Markdown for an extractive answer: the short answer where there is one, the bottom line
    (with the lead's note, what changed in its section since, right under it), how sure, the
    quotes, the examples; or, off topic, that the spec does not cover it. ``lead`` is what
    :func:`server.domain.answering.lead.decide_lead` decided."""
    bottom = lead.bottom
    if not result.sections or bottom is None:
        return no_match_markdown(result.release)
    if not lead.covered:
        return _not_covered(result, urls)
    top = result.sections[0].section
    lines = [*short_answer_lines(lead.short), ""] if lead.short else []
    lines += [
        *bottom_line_markdown(bottom, top.title, urls[top.id], lead.confidence),
        "",
        *([changed_since(lead.note), ""] if lead.note else []),
        confidence_markdown(lead.confidence, _closest(result, urls)),
        "",
    ]
    for hit in result.sections[:3]:
        quote = quotes[hit.section.id]
        if hit is result.sections[0] and normalise_quotes(bottom.text) in normalise_quotes(quote):
            # the bottom line above already quotes that sentence: the section's others, if any
            quote = best_sentences(top.body, question, leave_out=bottom.text)
            if not quote:
                continue
        lines += _section_lines(hit, quote, urls[hit.section.id])
    more = [f"[{h.section.title}]({urls[h.section.id]})" for h in result.sections[3:]]
    if more:
        lines += [f"Also relevant: {', '.join(more)}.", ""]
    if examples:
        lines += ["**Matching examples**", ""]
        lines += [_example_line(card) for card in examples]
        lines.append("")
    lines.append(quoted_footer(result.release))
    return "\n".join(lines).rstrip()


def _not_covered(result: RetrievalResult, urls: dict[str, str]) -> str:
    closest = _closest(result, urls)  # compose() answers a result with no sections otherwise
    named = "section is" if len(closest) == 1 else "sections are"
    return "\n".join(
        [
            not_covered_line(),
            "",
            confidence_label("low"),
            "",
            f"If you meant how the model should handle such a request, the closest {named} "
            f"{', '.join(closest)}.",
            "",
            quoted_footer(result.release, quoted=False),
        ]
    )


def _closest(result: RetrievalResult, urls: dict[str, str]) -> list[str]:
    """The first three sections, linked: what a "low" or off-topic answer names."""
    return [f"[{h.section.title}]({urls[h.section.id]})" for h in result.sections[:3]]


def _section_lines(hit: SectionHit, quote: str, url: str) -> list[str]:
    section = hit.section
    link = f"; [quote in context]({text_fragment_url(url, quote)})" if quote else ""
    head = (
        f"**[{section.title}]({url})** (`{section.id}`{link}), {plain_meaning(section.authority)}:"
    )
    return [head, *(f"> {line}" for line in quote.splitlines()), ""]


def _example_line(card: ExampleCard) -> str:
    """One line per example, enough to read without its card (a chat client shows no cards): per
    judged step, the user turn its replies answer, then each reply's label, why, and opening."""
    steps = []
    for step in judged_steps(card):
        replies = "; ".join(_reply_summary(response) for response in step.responses)
        request = shorten(plain_text(step.asked), EXAMPLE_ASKED_CHARS)
        steps.append(f"“{request}” → {replies}" if step.asked else replies)
    summary = " → then ".join(steps) or "no labelled replies"
    return f"- *{card.title}* (`{card.id}`): {summary}"


def _reply_summary(response: ExampleResponse) -> str:
    rationale = shorten(plain_text(response.rationale), EXAMPLE_WHY_CHARS)
    why = f" ({rationale})" if rationale else ""
    opening = shorten(plain_text(response.text), EXAMPLE_REPLY_CHARS)
    return f"{response.label}{why}: “{opening}”"
