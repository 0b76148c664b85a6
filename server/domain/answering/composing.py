"""What an answer is made from (the evidence and, with an LLM, its checked draft), and the last
step: the typed :class:`Answer`, in the spec's own words or the LLM's, led by what
:func:`~server.domain.answering.lead.decide_lead` decided."""

from __future__ import annotations

import time
from dataclasses import dataclass

from server.domain.answering.evidence import Evidence
from server.domain.answering.extractive import compose, examples_not_shown
from server.domain.answering.lead import Lead
from server.domain.answering.lead_text import fallback_notice, with_notice
from server.domain.answering.llm import Draft
from server.domain.retrieval.hybrid import RetrievalResult
from server.domain.schemas import Answer

__all__ = ["Gathered", "extractive_answer", "llm_answer", "paragraphs"]


@dataclass(frozen=True)
class Gathered:
    """What an answer is made from: the evidence and, when an LLM wrote it, the LLM's checked
    draft; ``failure`` says why an LLM asked for could not (the answer is then extractive)."""

    evidence: Evidence
    draft: Draft | None = None
    failure: str | None = None

    def notice(self) -> str | None:
        """The model's own caveats, or why there is no model answer."""
        if self.draft is not None:
            return self.draft.notice()
        return fallback_notice(self.failure) if self.failure is not None else None


def extractive_answer(
    evidence: Evidence, lead: Lead, started: float, list_examples: bool = True
) -> Answer:
    """The spec's own sentences, bottom line first (then a line per example, unless the client
    shows them as cards: ``list_examples``); the lead's notice says why this answer is
    extractive when an LLM answer was asked for."""
    result = evidence.result
    markdown = compose(evidence, lead, list_examples)
    return Answer(
        question=evidence.question,
        release=result.release,
        mode="extractive",
        answer=with_notice(markdown, lead.notice),
        bottom_line=lead.bottom if lead.covered else None,
        confidence=lead.confidence if result.sections else None,
        covered=lead.covered,
        short_answer=lead.short,
        who_can_change=lead.who,
        verdict=None,
        citations=evidence.citations,
        examples=evidence.examples if lead.covered else [],
        examples_not_shown=examples_not_shown(evidence) if lead.covered else None,
        timings=_timings(result, started),
        notice=lead.notice,
        fallback=lead.fallback,
        release_note=lead.note,
    )


def llm_answer(evidence: Evidence, draft: Draft, lead: Lead, started: float) -> Answer:
    """The LLM's checked reply over ``evidence`` (the routed result), cited sections first."""
    result = evidence.result
    cited = list(draft.reply.cited)
    citations = sorted(
        evidence.citations,
        key=lambda c: cited.index(c.section_id) if c.section_id in cited else len(cited),
    )
    return Answer(
        question=evidence.question,
        release=result.release,
        mode="llm",
        answer=draft.reply.text.strip(),
        bottom_line=lead.bottom,
        confidence=lead.confidence if result.sections else None,
        covered=lead.covered,
        short_answer=lead.short,
        who_can_change=lead.who,
        verdict=draft.verdict,  # type: ignore[arg-type]
        citations=citations,
        examples=evidence.examples,
        examples_not_shown=examples_not_shown(evidence),
        timings=_timings(result, started),
        notice=lead.notice,
        release_note=lead.note,
    )


def paragraphs(markdown: str) -> list[str]:
    """``markdown`` cut into the pieces a stream sends, paragraph by paragraph."""
    parts = markdown.split("\n\n")
    return [part + ("\n\n" if index < len(parts) - 1 else "") for index, part in enumerate(parts)]


def _timings(result: RetrievalResult, started: float) -> dict[str, float]:
    return {**result.timings, "total_ms": round((time.perf_counter() - started) * 1000, 2)}
