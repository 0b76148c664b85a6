"""Extractive answers: the sentences of the governing sections that best answer the question,
quoted with their section and what its authority level means. No model writes anything here, and
the answer says so. Deterministic for a given index and question.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from server.corpus import lexical_tokens
from server.retrieval import ExampleHit, SearchResult, SectionHit
from server.schemas import BottomLine, Confidence

__all__ = [
    "AUTHORITY_MEANING",
    "PLAIN_MEANING",
    "authority_meaning",
    "best_sentences",
    "bottom_line",
    "compose",
    "plain_meaning",
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
_CUES = re.compile(
    r"\b(should|must|never|always|may|can|cannot|can't|don't|do not|avoid|refuse|allowed?)\b", re.I
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(*\[])|\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)")


def authority_meaning(authority: str | None) -> str:
    return AUTHORITY_MEANING.get(authority or "", _NO_AUTHORITY)


def best_sentences(text: str, question: str, limit: int = 2, max_chars: int = 420) -> str:
    """The ``limit`` best sentences of ``text`` for ``question``, in document order."""
    sentences = _sentences(text)
    if not sentences:
        return text.strip()[:max_chars]
    wanted = set(lexical_tokens([question])[0])
    scored = []
    for index, (sentence, tokens, length, cue) in enumerate(sentences):
        overlap = len(wanted.intersection(tokens))
        scored.append((overlap / math.sqrt(length + 4) + cue, -index, sentence))
    chosen = sorted(scored, reverse=True)[:limit]
    ordered = [s for _, _, s in sorted(chosen, key=lambda item: -item[1])]
    quote = " ".join(ordered)
    return quote if len(quote) <= max_chars else quote[: max_chars - 1].rsplit(" ", 1)[0] + "…"


@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[tuple[str, frozenset[str], int, float], ...]:
    """A section's sentences with their stems, stem count and cue weight (cached: section text
    does not change while an index is served)."""
    sentences = [s.strip() for s in _SENTENCES.split(text) if len(s.strip()) > 20]
    stems = lexical_tokens(sentences) if sentences else []
    return tuple(
        (sentence, frozenset(tokens), len(tokens), 0.3 if _CUES.search(sentence) else 0.0)
        for sentence, tokens in zip(sentences, stems, strict=True)
    )


def plain_meaning(authority: str | None) -> str:
    """What an authority level means for whoever wants to change the rule, in a few words."""
    return PLAIN_MEANING.get(authority or "", _NO_AUTHORITY_PLAIN)


def bottom_line(question: str, result: SearchResult) -> BottomLine | None:
    """The one sentence of the first section that best answers ``question``, verbatim."""
    if not result.sections:
        return None
    section = result.sections[0].section
    return BottomLine(
        text=best_sentences(section.body or section.title, question, limit=1),
        section_id=section.id,
        authority=section.authority,
        meaning=plain_meaning(section.authority),
    )


def compose(
    result: SearchResult,
    quotes: dict[str, str],
    urls: dict[str, str],
    bottom: BottomLine | None,
    confidence: Confidence,
) -> str:
    """Markdown for an extractive answer: the bottom line, how sure, the quotes, the examples."""
    if not result.sections or bottom is None:
        return (
            f"No section of the Model Spec (release {result.release}) matched this question. "
            "Try other words, or name a section."
        )
    top = result.sections[0].section
    lines = [
        f"**Bottom line:** [{top.title}]({urls[top.id]}) (`{top.id}`), {bottom.meaning}:",
        f"> {bottom.text}",
        "",
        _confidence_line(result, urls, confidence),
        "",
    ]
    for hit in result.sections[:3]:
        lines += _section_lines(hit, quotes[hit.section.id], urls[hit.section.id])
    more = [f"[{h.section.title}]({urls[h.section.id]})" for h in result.sections[3:]]
    if more:
        lines += [f"Also relevant: {', '.join(more)}.", ""]
    if result.examples:
        lines += ["**Matching examples**", ""]
        lines += [_example_line(hit) for hit in result.examples]
        lines.append("")
    lines.append(
        f"*Quoted from the Model Spec, release {result.release}; no model wrote this answer.*"
    )
    return "\n".join(lines).rstrip()


def _confidence_line(result: SearchResult, urls: dict[str, str], confidence: Confidence) -> str:
    if confidence != "low":
        return f"**Confidence: {confidence}.**"
    closest = [f"[{h.section.title}]({urls[h.section.id]})" for h in result.sections[:3]]
    return f"**Confidence: low.** No section clearly governs this; the closest are {_and(closest)}."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _section_lines(hit: SectionHit, quote: str, url: str) -> list[str]:
    section = hit.section
    return [
        f"**[{section.title}]({url})** (`{section.id}`), {plain_meaning(section.authority)}:",
        f"> {quote}",
        "",
    ]


def _example_line(hit: ExampleHit) -> str:
    labels = " / ".join(
        f"{r.label}" + (f": {r.rationale}" if r.rationale else "") for r in hit.example.responses
    )
    return f"- *{hit.example.title}* (`{hit.example.id}`): {labels or 'no labelled replies'}"
