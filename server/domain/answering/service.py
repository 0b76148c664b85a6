"""The one answering service. REST, chat, MCP, Slack, the web page and the CLI all call this.

:meth:`AnsweringService.answer` and :meth:`AnsweringService.stream` share one preparation step
(:meth:`~AnsweringService.prepare`): the question, mode and history are validated once, a
question about changes is answered from the diffs, anything else is retrieved once. The lookups
every surface shows besides answers (search, sections, precedents, releases, diffs, histories)
come from :class:`~server.domain.answering.service_lookups.SpecLookups`, which this service extends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from server.domain.answering.change_answers import ChangeAnswerer, release_note
from server.domain.answering.composing import Evidence, extractive_answer, llm_answer, paragraphs
from server.domain.answering.lead import trim_citations
from server.domain.answering.links import Links
from server.domain.answering.llm import LLMAnswerer, LLMUnavailable
from server.domain.answering.service_lookups import SpecLookups
from server.domain.precedents.matcher import PrecedentMatcher
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.follow_up import follow_up_query, leans_on_history
from server.domain.retrieval.hybrid import HybridRetriever, RetrievalResult
from server.domain.schemas import Answer
from server.domain.settings import DomainSettings
from specqa.core.errors import InputError
from specqa.core.memo import IndexMemo

__all__ = ["AnsweringService", "Prepared", "StreamEvent"]

_MODES = (None, "extractive", "llm")


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event: ``meta`` (citations, examples), ``delta`` (answer text), ``done``
    (carrying the final :class:`Answer` itself)."""

    type: Literal["meta", "delta", "done"]
    payload: dict[str, Any] = field(default_factory=dict)
    answer: Answer | None = None

    @property
    def data(self) -> dict[str, Any]:
        """What goes on the wire as JSON."""
        return self.answer.model_dump() if self.answer is not None else self.payload


@dataclass(frozen=True)
class Prepared:
    """A question made ready once: validated, and either answered from the diffs (``change``)
    or retrieved (``evidence``)."""

    question: str
    history: list[str]
    use_llm: bool
    started: float
    change: Answer | None = None
    evidence: Evidence | None = None
    notice: str | None = None  # why the answer is extractive although an LLM one was asked for
    ranked: RetrievalResult | None = None  # every section retrieval ranked: what an LLM routes from


class AnsweringService(SpecLookups):
    def __init__(
        self,
        settings: DomainSettings,
        corpus: Callable[[], Corpus],
        retriever: HybridRetriever,
        llm: LLMAnswerer | None = None,
        precedents: PrecedentMatcher | None = None,
    ) -> None:
        super().__init__(settings, corpus, retriever, precedents)
        self.llm = llm
        self.observers: list[Callable[[Answer], None]] = []  # e.g. metrics, per answer
        self.links = Links(settings.answers.public_base_url)
        self.changes = ChangeAnswerer(corpus, retriever, self.links)
        self._notes: IndexMemo[tuple[str, str], str | None] = IndexMemo()  # notes are pure

    def prepare(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
    ) -> Prepared:
        started = time.perf_counter()
        question = self.validate_question(question)
        if mode not in _MODES:
            raise InputError("mode must be 'extractive' or 'llm'")
        history = self.validate_history(history)
        use_llm = mode != "extractive" and self.llm is not None
        notice = NO_LLM if mode == "llm" and self.llm is None else None
        change = self.changes.answer(question, release)
        if change is not None:
            return Prepared(question, history, use_llm, started, change=change, notice=notice)
        follows = bool(history) and leans_on_history(question)
        query = follow_up_query(question, history[-1]) if follows else question
        result = self.retriever.search(
            query,
            release,
            k_sections=self.settings.answers.top_sections,
            k_examples=self.settings.answers.top_examples,
            with_sentences=True,
        )
        evidence = Evidence.of(question, trim_citations(result), standalone=not follows)
        return Prepared(
            question, history, use_llm, started, evidence=evidence, notice=notice, ranked=result
        )

    def answer(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
    ) -> Answer:
        ready = self.prepare(question, release, mode, history)
        if ready.change is not None:
            return self._observed(_with_notice(ready.change, ready.notice))
        assert ready.evidence is not None
        if not ready.use_llm:
            return self._observed(self._extractive(ready.evidence, ready.started, ready.notice))
        assert self.llm is not None
        result = ready.ranked or ready.evidence.result
        try:
            draft = self.llm.answer(
                ready.question, ready.history, result, self.corpus().get(result.release)
            )
        except LLMUnavailable as exc:
            return self._observed(self._fallback(ready.evidence, ready.started, exc))
        evidence = self._evidence_for(ready.evidence, draft.result)
        return self._observed(
            llm_answer(evidence, draft, ready.started, self._note(evidence.result))
        )

    def assess(self, question: str, release: str | None = None) -> Answer:
        """The extractive answer an audit reads its governing sections from. It is given to no
        one, so observers (answer metrics, the store of answers feedback can name) never see it."""
        ready = self.prepare(question, release, mode="extractive")
        if ready.change is not None:
            return ready.change
        assert ready.evidence is not None
        return self._extractive(ready.evidence, ready.started, None)

    def stream(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
    ) -> Iterator[StreamEvent]:
        """Citations first, then the answer text as it is written, then the final typed answer."""
        ready = self.prepare(question, release, mode, history)
        if ready.change is not None:
            change = _with_notice(ready.change, ready.notice)
            yield StreamEvent(
                "meta",
                {
                    "question": change.question,
                    "release": change.release,
                    "citations": [c.model_dump() for c in change.citations],
                    "examples": [],
                },
            )
            yield from _deltas(change.answer)
            yield StreamEvent("done", answer=self._observed(change))
            return
        assert ready.evidence is not None
        if not ready.use_llm:
            yield StreamEvent("meta", ready.evidence.meta())
            answer = self._extractive(ready.evidence, ready.started, ready.notice)
            yield from _deltas(answer.answer)
            yield StreamEvent("done", answer=self._observed(answer))
            return
        yield from self._llm_stream(ready)

    # --- internals --------------------------------------------------------------------------
    def _llm_stream(self, ready: Prepared) -> Iterator[StreamEvent]:
        """The LLM's checked text as it is written; on failure, the extractive answer after it."""
        assert self.llm is not None and ready.evidence is not None
        evidence, wrote, met = ready.evidence, False, False
        result = ready.ranked or evidence.result
        try:
            rc = self.corpus().get(result.release)
            for part in self.llm.stream(ready.question, ready.history, result, rc):
                if isinstance(part, str):
                    wrote = True
                    yield StreamEvent("delta", {"text": part})
                elif not met:  # the evidence the answer is written from: its citations first
                    met = True
                    evidence = self._evidence_for(evidence, part.result)
                    yield StreamEvent("meta", evidence.meta())
                else:
                    answer = llm_answer(
                        self._evidence_for(evidence, part.result),
                        part,
                        ready.started,
                        self._note(part.result),
                    )
        except LLMUnavailable as exc:
            answer = self._fallback(ready.evidence, ready.started, exc)
            if not met:
                yield StreamEvent("meta", ready.evidence.meta())
            if wrote:
                yield StreamEvent("delta", {"text": "\n\n---\n\n"})
            yield from _deltas(answer.answer)
        yield StreamEvent("done", answer=self._observed(answer))

    def _observed(self, answer: Answer) -> Answer:
        for observer in self.observers:
            observer(answer)
        return answer

    def _extractive(self, evidence: Evidence, started: float, notice: str | None) -> Answer:
        return extractive_answer(evidence, started, self._note(evidence.result), notice)

    def _fallback(self, evidence: Evidence, started: float, exc: LLMUnavailable) -> Answer:
        notice = f"{exc}; falling back to an extractive answer."
        return extractive_answer(
            evidence, started, self._note(evidence.result), notice, fallback=True
        )

    @staticmethod
    def _evidence_for(evidence: Evidence, result: RetrievalResult) -> Evidence:
        """The evidence for ``result``: the prepared one when routing kept it, else made anew."""
        if result is evidence.result:
            return evidence
        return Evidence.of(evidence.question, result, evidence.standalone)

    def _note(self, result: RetrievalResult) -> str | None:
        if not result.sections:
            return None
        corpus = self.corpus()
        release, section_id = result.release, result.sections[0].section.id
        return self._notes.get(
            corpus.manifest.collection,
            (release, section_id),
            lambda: release_note(corpus, release, section_id, self.links),
        )


NO_LLM = (
    "an LLM answer was asked for, but no LLM is configured (set OPENAI_BASE_URL, OPENAI_API_KEY "
    "and SPECQA_LLM_MODEL); this answer is extractive: the spec's own sentences"
)


def _with_notice(answer: Answer, notice: str | None) -> Answer:
    if notice is None:
        return answer
    return answer.model_copy(
        update={"notice": notice, "answer": f"> **Note:** {notice}\n\n{answer.answer}"}
    )


def _deltas(markdown: str) -> Iterator[StreamEvent]:
    for piece in paragraphs(markdown):
        yield StreamEvent("delta", {"text": piece})
