"""The one answering service. REST, chat, MCP, Slack, the web page and the CLI all call this."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from server.domain.changes import ChangeAnswerer, release_note
from server.domain.confidence import confidence_of
from server.domain.corpus import Corpus
from server.domain.example_view import example_card
from server.domain.extractive import authority_meaning, best_sentences, bottom_line, compose
from server.domain.links import Links
from server.domain.llm import Draft, LLMAnswerer, LLMUnavailable
from server.domain.precedent import PrecedentMatcher, PrecedentVerdict
from server.domain.retrieval import HybridRetriever, SearchFilters, SearchResult
from server.domain.schemas import (
    Answer,
    Citation,
    ExampleCard,
    SearchResponse,
    SectionCard,
    section_url,
)
from specqa.core.errors import InputError
from specqa.core.settings import Settings
from specqa.core.spec import Example, Section

__all__ = ["PRECEDENT_CANDIDATES", "AnsweringService", "StreamEvent"]

PRECEDENT_CANDIDATES = 10  # retrieved examples whose responses a pasted reply is compared with


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event: ``meta`` (citations, examples), ``delta`` (answer text), ``done``."""

    type: Literal["meta", "delta", "done"]
    data: dict[str, Any]


class AnsweringService:
    def __init__(
        self,
        settings: Settings,
        corpus: Callable[[], Corpus],
        retriever: HybridRetriever,
        llm: LLMAnswerer | None = None,
        precedents: PrecedentMatcher | None = None,
    ) -> None:
        self.settings = settings
        self.precedents = precedents
        self.corpus = corpus
        self.retriever = retriever
        self.llm = llm
        self.observers: list[Callable[[Answer], None]] = []  # e.g. metrics, per answer
        self.links = Links(settings.public_base_url)
        self.changes = ChangeAnswerer(corpus, retriever, self.links)
        self._notes: dict[tuple[str, str, str], str | None] = {}  # release notes are pure: cached

    # --- questions --------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
    ) -> Answer:
        return self._observed(self._answer(question, release, mode, history))

    def _observed(self, answer: Answer) -> Answer:
        for observer in self.observers:
            observer(answer)
        return answer

    def _answer(
        self, question: str, release: str | None, mode: str | None, history: list[str] | None
    ) -> Answer:
        started = time.perf_counter()
        change = self._change_question(question, release, mode)
        if change is not None:
            return change
        question, result = self._retrieve(question, release, history or [])
        if self._use_llm(mode) and self.llm is not None:
            try:
                rc = self.corpus().get(result.release)
                draft = self.llm.answer(question, history or [], result, rc)
                return self._llm_answer(question, draft, started)
            except LLMUnavailable as exc:
                return self._extractive(
                    question,
                    result,
                    started,
                    notice=f"{exc}; falling back to an extractive answer.",
                )
        return self._extractive(question, result, started)

    def stream(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
    ) -> Iterator[StreamEvent]:
        """Citations first, then the answer text as it is written, then the final typed answer."""
        started = time.perf_counter()
        change = self._change_question(question, release, mode)
        if change is not None:
            yield StreamEvent(
                "meta",
                {
                    "question": change.question,
                    "release": change.release,
                    "citations": [c.model_dump() for c in change.citations],
                    "examples": [],
                },
            )
            yield from _as_deltas(change.answer)
            yield StreamEvent("done", self._observed(change).model_dump())
            return
        question, result = self._retrieve(question, release, history or [])
        if not (self._use_llm(mode) and self.llm is not None):
            yield StreamEvent("meta", self._meta(question, result))
            answer = self._extractive(question, result, started)
            yield from _as_deltas(answer.answer)
            yield StreamEvent("done", self._observed(answer).model_dump())
            return
        yield from self._llm_stream(question, history or [], result, started)

    def _llm_stream(
        self, question: str, history: list[str], result: SearchResult, started: float
    ) -> Iterator[StreamEvent]:
        """The LLM's checked text as it is written; on failure, the extractive answer after it."""
        assert self.llm is not None
        wrote, met = False, False
        try:
            rc = self.corpus().get(result.release)
            for part in self.llm.stream(question, history, result, rc):
                if isinstance(part, str):
                    wrote = True
                    yield StreamEvent("delta", {"text": part})
                elif not met:  # the evidence the answer is written from: its citations first
                    met = True
                    yield StreamEvent("meta", self._meta(question, part.result))
                else:
                    answer = self._llm_answer(question, part, started)
        except LLMUnavailable as exc:
            answer = self._extractive(
                question, result, started, notice=f"{exc}; falling back to an extractive answer."
            )
            if not met:
                yield StreamEvent("meta", self._meta(question, result))
            if wrote:
                yield StreamEvent("delta", {"text": "\n\n---\n\n"})
            yield from _as_deltas(answer.answer)
        yield StreamEvent("done", self._observed(answer).model_dump())

    # --- lookups ----------------------------------------------------------------------------
    def search(
        self,
        query: str,
        release: str | None = None,
        filters: SearchFilters | None = None,
        k: int = 5,
    ) -> SearchResponse:
        query = self.validate_question(query)
        result = self.retriever.search(query, release, filters, k_sections=k, k_examples=k)
        sections = [
            self._section_card(result.release, hit.section.id, score=round(hit.score, 5))
            for hit in result.sections
        ]
        return SearchResponse(
            query=query,
            release=result.release,
            sections=sections,
            examples=[example_card(h.example, result.release) for h in result.examples],
            timings=result.timings,
        )

    def find_examples(
        self,
        query: str | None,
        release: str | None = None,
        filters: SearchFilters | None = None,
        k: int = 10,
    ) -> tuple[str, list[ExampleCard]]:
        """Precedents: ranked by ``query`` when given, else every example that passes the filters."""
        filters = filters or SearchFilters()
        if query:
            result = self.retriever.search(
                self.validate_question(query), release, filters, k_sections=k, k_examples=k
            )
            cards = [example_card(h.example, result.release) for h in result.examples]
            return result.release, _only_label(cards, filters.label)
        rc = self.corpus().get(release)
        if filters.section is not None:
            rc.section(filters.section)
        chosen = [
            e
            for e in rc.parsed.examples
            if e.responses and _example_passes(rc.sections_by_id[e.section_id], e, filters)
        ]
        cards = [example_card(e, rc.release) for e in chosen[:k]]
        return rc.release, _only_label(cards, filters.label)

    def authorities(self, release: str) -> dict[str, str | None]:
        """Section id -> declared authority, for exports."""
        return {sid: s.authority for sid, s in self.corpus().get(release).sections_by_id.items()}

    def similar_examples(
        self, user: str, assistant: str = "", release: str | None = None, k: int = 5
    ) -> tuple[SearchResponse, list[ExampleCard], PrecedentVerdict | None]:
        """The labelled examples closest to a pasted exchange, the sections that govern them, and
        the labelled response the reply most resembles (None without a reply or a matcher)."""
        text = self.validate_question(
            f"{user}\n{assistant}".strip()[: self.settings.max_question_chars]
        )
        result = self.retriever.search(
            text, release, k_sections=3, k_examples=max(k, PRECEDENT_CANDIDATES)
        )
        governing = [
            self._section_card(result.release, h.section.id, score=round(h.score, 5))
            for h in result.sections
        ]
        cards = [example_card(h.example, result.release) for h in result.examples[:k]]
        verdict = None
        if assistant.strip() and self.precedents is not None:
            candidates = [h.example for h in result.examples]
            verdict = self.precedents.verdict(assistant, result.release, candidates)
        found = SearchResponse(
            query=text,
            release=result.release,
            sections=governing,
            examples=cards,
            timings=result.timings,
        )
        return found, cards, verdict

    def section(self, section_id: str, release: str | None = None) -> SectionCard:
        rc = self.corpus().get(release)
        return self._section_card(rc.release, section_id, with_examples=True)

    def releases(self) -> list[str]:
        return self.corpus().names

    def validate_question(self, question: str) -> str:
        if not isinstance(question, str):
            raise InputError("question must be a string")
        cleaned = "".join(
            ch for ch in question if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
        ).strip()
        if not cleaned:
            raise InputError("question is empty")
        if len(cleaned) > self.settings.max_question_chars:
            raise InputError(
                f"question is longer than {self.settings.max_question_chars} characters"
            )
        return cleaned

    # --- internals --------------------------------------------------------------------------
    def _change_question(
        self, question: str, release: str | None, mode: str | None
    ) -> Answer | None:
        question = self.validate_question(question)
        self._use_llm(mode)  # validates the mode
        return self.changes.answer(question, release)

    def _note(self, result: SearchResult) -> str | None:
        if not result.sections:
            return None
        corpus = self.corpus()
        key = (corpus.manifest.collection, result.release, result.sections[0].section.id)
        if key not in self._notes:
            self._notes[key] = release_note(corpus, result.release, key[2], self.links)
        return self._notes[key]

    def _use_llm(self, mode: str | None) -> bool:
        if mode not in (None, "extractive", "llm"):
            raise InputError("mode must be 'extractive' or 'llm'")
        return mode != "extractive" and self.llm is not None

    def _retrieve(
        self, question: str, release: str | None, history: list[str]
    ) -> tuple[str, SearchResult]:
        question = self.validate_question(question)
        query = question if not history else f"{question}\n{history[-1]}"
        result = self.retriever.search(
            query,
            release,
            k_sections=self.settings.top_sections,
            k_examples=self.settings.top_examples,
        )
        return question, result

    def _extractive(
        self, question: str, result: SearchResult, started: float, notice: str | None = None
    ) -> Answer:
        quotes = _quotes(question, result)
        bottom = bottom_line(question, result)
        confidence = confidence_of(result.evidence)
        markdown = compose(result, quotes, self._urls(result), bottom, confidence)
        note = self._note(result)
        if note:
            markdown = f"{markdown}\n\n*Changed since:* {note}"
        if notice:
            markdown = f"> **Note:** {notice}\n\n{markdown}"
        return Answer(
            question=question,
            release=result.release,
            mode="extractive",
            answer=markdown,
            bottom_line=bottom,
            confidence=confidence if result.sections else None,
            verdict=None,
            citations=self._citations(result, quotes),
            examples=[example_card(h.example, result.release) for h in result.examples],
            timings=_timings(result, started),
            notice=notice,
            fallback=notice is not None,
            release_note=note,
        )

    def _llm_answer(self, question: str, draft: Draft, started: float) -> Answer:
        result = draft.result
        citations = self._citations(result, _quotes(question, result))
        cited = list(draft.reply.cited)
        citations.sort(
            key=lambda c: cited.index(c.section_id) if c.section_id in cited else len(cited)
        )
        return Answer(
            question=question,
            release=result.release,
            mode="llm",
            answer=draft.reply.text.strip(),
            bottom_line=bottom_line(question, result),
            confidence=confidence_of(result.evidence) if result.sections else None,
            verdict=draft.verdict,  # type: ignore[arg-type]
            citations=citations,
            examples=[example_card(h.example, result.release) for h in result.examples],
            timings=_timings(result, started),
            notice=draft.notice(),
            release_note=self._note(result),
        )

    def _citations(self, result: SearchResult, quotes: dict[str, str]) -> list[Citation]:
        return [
            Citation(
                section_id=h.section.id,
                title=h.section.title,
                authority=h.section.authority,
                release=result.release,
                quote=quotes[h.section.id],
                url=section_url(result.release, h.section.id),
            )
            for h in result.sections
        ]

    def _meta(self, question: str, result: SearchResult) -> dict[str, Any]:
        quotes = _quotes(question, result)
        return {
            "question": question,
            "release": result.release,
            "citations": [c.model_dump() for c in self._citations(result, quotes)],
            "examples": [
                example_card(h.example, result.release).model_dump() for h in result.examples
            ],
        }

    @staticmethod
    def _urls(result: SearchResult) -> dict[str, str]:
        ids = {hit.section.id for hit in result.sections} | {
            hit.example.section_id for hit in result.examples
        }
        return {section_id: section_url(result.release, section_id) for section_id in ids}

    def _section_card(
        self,
        release: str,
        section_id: str,
        *,
        with_examples: bool = False,
        score: float | None = None,
    ) -> SectionCard:
        rc = self.corpus().get(release)
        section = rc.section(section_id)
        examples = (
            [example_card(rc.examples_by_id[e], release) for e in section.example_ids]
            if with_examples
            else []
        )
        return SectionCard(
            id=section.id,
            title=section.title,
            level=section.level,
            release=release,
            authority=section.authority,
            authority_meaning=authority_meaning(section.authority),
            parents=section.parents,
            path=rc.path(section),
            attributes=section.attributes,
            body=section.body,
            commentary=section.commentary,
            url=section_url(release, section.id),
            examples=examples,
            score=score,
        )


def _only_label(cards: list[ExampleCard], label: str | None) -> list[ExampleCard]:
    """With a label filter, each card keeps only the responses so labelled (in every step)."""
    if label is None:
        return cards
    wanted = label.upper()
    return [
        card.model_copy(
            update={
                "steps": [
                    step.model_copy(
                        update={"responses": [r for r in step.responses if r.label == wanted]}
                    )
                    for step in card.steps
                ]
            }
        )
        for card in cards
    ]


def _quotes(question: str, result: SearchResult) -> dict[str, str]:
    """Section id -> the sentences of that section that best answer ``question``."""
    return {hit.section.id: best_sentences(hit.section.body, question) for hit in result.sections}


def _example_passes(section: Section, example: Example, filters: SearchFilters) -> bool:
    if filters.authority is not None and section.authority != filters.authority:
        return False
    if filters.section is not None and filters.section not in (section.id, *section.parents):
        return False
    return filters.label is None or filters.label.upper() in example.labels


def _timings(result: SearchResult, started: float) -> dict[str, float]:
    return {**result.timings, "total_ms": round((time.perf_counter() - started) * 1000, 2)}


def _as_deltas(markdown: str) -> Iterator[StreamEvent]:
    paragraphs = markdown.split("\n\n")
    for index, paragraph in enumerate(paragraphs):
        yield StreamEvent(
            "delta", {"text": paragraph + ("\n\n" if index < len(paragraphs) - 1 else "")}
        )
