"""The one answering service. REST, chat, MCP, Slack, the web page and the CLI all call this.

An answer is made in one pass of five steps, each in one place and called once, in this order,
for the extractive answer, the LLM's and the stream alike:

1. :meth:`~AnsweringService.prepare`: the input validated once; small talk and a question about
   changes are answered here; the release a question names is the one searched;
2. :meth:`~AnsweringService.retrieve`: the sections and examples ranked once;
3. :meth:`~AnsweringService.gather`: the evidence quoted (with an LLM, its checked draft over the
   sections it routed to);
4. :meth:`~AnsweringService.decide`: the lead (covered or not, bottom line, confidence, short
   answer, the release note and the notices);
5. :meth:`~AnsweringService.compose`: the typed :class:`Answer`.

The lookups (search, sections, precedents, releases, diffs, histories) are
:class:`~server.domain.answering.service_lookups.SpecLookups`', which this service extends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace

from server.domain.answering.composing import Gathered, extractive_answer, llm_answer
from server.domain.answering.confidence import confidence_of
from server.domain.answering.evidence import Evidence
from server.domain.answering.language import LanguageGuess
from server.domain.answering.lead import (
    Lead,
    cited_examples,
    decide_lead,
    trim_citations,
    with_examples_left_out,
)
from server.domain.answering.lead_text import (
    NO_LLM,
    answer_with_notice,
    joined_notices,
    no_earlier_question,
    not_english_notice,
    unindexed_notice,
)
from server.domain.answering.links import Links
from server.domain.answering.llm import Draft, LLMAnswerer, LLMUnavailable
from server.domain.answering.release_asked import release_of_turn
from server.domain.answering.release_follow_up import earlier_topic, release_follow_up
from server.domain.answering.release_note import release_note
from server.domain.answering.service_lookups import SpecLookups
from server.domain.answering.small_talk import small_talk_answer, without_small_talk
from server.domain.answering.streaming import StreamEvent, deltas, made_events
from server.domain.answering.structural import StructuralAnswers
from server.domain.precedents.matcher import PrecedentMatcher
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.follow_up import (
    follow_up_query,
    follow_up_words,
    leans_on_history,
    standalone_query,
)
from server.domain.retrieval.hybrid import HybridRetriever, RankClarity, RetrievalResult
from server.domain.retrieval.query_cues import asked_label, asks_for_examples
from server.domain.schemas import Answer
from server.domain.settings import DomainSettings
from specqa.core.errors import InputError
from specqa.core.memo import IndexMemo

__all__ = ["AnsweringService", "Prepared"]

_MODES = (None, "extractive", "llm")
EXAMPLE_CANDIDATES = 20  # examples ranked, before those of the sections not cited are dropped
EXAMPLES_ASKED_CANDIDATES = 60  # enough for every example of the sections cited


@dataclass(frozen=True)
class Prepared:
    """A question made ready once: validated, its mode settled, and either answered already
    (``made``: small talk, or a question about changes, from the diffs) or with the ``query``
    retrieval runs (a follow-up's own words lean on the turn before: then not ``standalone``, and
    the query carries that turn's words too)."""

    question: str
    history: list[str]
    use_llm: bool
    started: float
    made: Answer | None = None  # answered here: small talk, or a question about changes
    notice: str | None = None  # e.g. why the answer is extractive although an LLM one was asked
    llm_missing: bool = False  # an LLM answer was asked for and no LLM is configured
    release: str | None = None
    asked: str = ""  # what the question asks, without the thanks or greeting it opens with
    query: str = ""
    standalone: bool = True
    focus: str | None = None  # a follow-up's own words: they choose the bottom line's sentence
    language: str | None = None  # the question's language when it is not English
    list_examples: bool = True  # the extractive text ends with a line per example (no cards)


class AnsweringService(SpecLookups):
    def __init__(
        self,
        settings: DomainSettings,
        corpus: Callable[[], Corpus],
        retriever: HybridRetriever,
        llm: LLMAnswerer | None = None,
        precedents: PrecedentMatcher | None = None,
        languages: LanguageGuess | None = None,
    ) -> None:
        """``languages``: tells a question not in English (without it, every question is
        taken for English)."""
        super().__init__(settings, corpus, retriever, precedents)
        self.llm = llm
        self.languages = languages
        self.observers: list[Callable[[Answer], None]] = []  # e.g. metrics, per answer
        self.links = Links(settings.answers.public_base_url)
        self.structure = StructuralAnswers(corpus, retriever, self.links)
        self._notes: IndexMemo[tuple[str, str], str | None] = IndexMemo()  # notes are pure

    def answer(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
        *,
        list_examples: bool = True,
        answer_id: str | None = None,
    ) -> Answer:
        """The answer to ``question``, made in one pass (see the module). ``list_examples``:
        the extractive text ends with a line per matching example, for a client that shows no
        cards (the examples are in :attr:`Answer.examples` either way); ``answer_id``: its id,
        when the caller named it first (a chat completion's, for feedback)."""
        ready = self.prepare(question, release, mode, history, list_examples=list_examples)
        if ready.made is not None:
            return self._observed(ready.made, answer_id)
        ranked = self.retrieve(ready)
        gathered = self.gather(ready, ranked)
        lead = self.decide(ready, gathered)
        return self._observed(self.compose(ready, gathered, lead), answer_id)

    def stream(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
        *,
        list_examples: bool = True,
        answer_id: str | None = None,
    ) -> Iterator[StreamEvent]:
        """Citations first, then the answer text as it is written, then the final typed answer
        (``list_examples``, ``answer_id``: as for :meth:`answer`)."""
        ready = self.prepare(question, release, mode, history, list_examples=list_examples)
        if ready.made is not None:
            yield from made_events(ready.made)
            yield StreamEvent("done", answer=self._observed(ready.made, answer_id))
            return
        ranked = self.retrieve(ready)
        if ready.use_llm:
            gathered = yield from self._gather_streamed(ready, ranked)
            lead = self.decide(ready, gathered)
        else:  # decided first: an answer off topic shows no examples, so its meta has none
            gathered = self.gather(ready, ranked)
            lead = self.decide(ready, gathered)
            yield StreamEvent("meta", gathered.evidence.meta(with_examples=lead.covered))
        answer = self.compose(ready, gathered, lead)
        if gathered.draft is None:  # the extractive text, paragraph by paragraph
            yield from deltas(answer.answer)
        yield StreamEvent("done", answer=self._observed(answer, answer_id))

    def assess(self, question: str, release: str | None = None) -> Answer:
        """The extractive answer an audit reads its governing sections from. It is given to no
        one, so observers (answer metrics, the store of answers feedback can name) never see it."""
        # a reply to "thanks!" follows or breaks rules too: no small-talk reply for an audit
        ready = self.prepare(question, release, mode="extractive", small_talk=False)
        if ready.made is not None:
            return ready.made
        gathered = self.gather(ready, self.retrieve(ready))
        return self.compose(ready, gathered, self.decide(ready, gathered))

    def lead_left_out(self, question: str, release: str | None = None) -> Lead | None:
        """The extractive lead for a bank question with itself left out of the curated matches
        (``specqa bank short-answers``); None for small talk or a question about changes."""
        ready = self.prepare(question, release, mode="extractive")
        if ready.made is not None:
            return None
        ranked = self.retrieve(ready)
        itself = question.lower().split()
        others = [match for match in ranked.bank if match.question.lower().split() != itself]
        return self.decide(ready, self.gather(ready, replace(ranked, bank=others)))

    # --- the five steps -----------------------------------------------------------------------
    def prepare(
        self,
        question: str,
        release: str | None = None,
        mode: str | None = None,
        history: list[str] | None = None,
        *,
        list_examples: bool = True,
        small_talk: bool = True,
    ) -> Prepared:
        """Step 1: validated once; small talk (unless ``small_talk`` is False), a question about
        changes and one listing the sections at a level answered here; a follow-up that only
        names a release prepares the earlier question again, in that release; a release the
        question names is the one searched."""
        started = time.perf_counter()
        question = self.validate_question(question)
        if mode not in _MODES:
            raise InputError("mode must be 'extractive' or 'llm'")
        history = self.validate_history(history)
        use_llm = mode != "extractive" and self.llm is not None
        llm_missing = mode == "llm" and self.llm is None
        notice = NO_LLM if llm_missing else None
        chat = small_talk_answer(question, self.release_name(release)) if small_talk else None
        if chat is not None:  # no model would write it either: no notice
            return Prepared(question, history, use_llm, started, made=chat)
        known = self.corpus().names
        earlier = earlier_topic(history, known, question) if history else None
        structural = self.structure.answer(question, release, earlier)
        if structural is not None:
            made = answer_with_notice(structural, notice)
            return Prepared(question, history, use_llm, started, made=made, notice=notice)
        asked = without_small_talk(question)  # "Thanks! And for kids?" asks "And for kids?"
        again = release_follow_up(asked, history, known)  # "and in the newest release?"
        if again is not None:
            ready = self.prepare(
                again.question, again.release, mode, again.history, list_examples=list_examples
            )
            return replace(ready, started=started)
        chosen = release_of_turn(asked, history, release, known)  # "…in the 2025-02-12 release?"
        release, asked = chosen.release, chosen.question
        if chosen.unindexed:  # built only then: this runs for every question
            instead = (
                f"this answers from {self.release_name(release)} (indexed: {', '.join(known)})"
            )
            notice = joined_notices(notice, unindexed_notice(chosen.unindexed, instead))
        follows = bool(history) and leans_on_history(asked)
        notice = joined_notices(notice, no_earlier_question(asked, history))
        query = follow_up_query(asked, earlier or "") if follows else standalone_query(asked)
        return Prepared(
            question,
            history,
            use_llm,
            started,
            notice=notice,
            llm_missing=llm_missing,
            release=release,
            asked=asked,
            query=query,
            standalone=not follows,
            focus=follow_up_words(asked) if follows else None,
            language=self.languages.foreign(question) if self.languages else None,
            list_examples=list_examples,
        )

    def retrieve(self, ready: Prepared) -> RetrievalResult:
        """Step 2: every section ranked for the question (what an LLM routes from), the closest
        curated questions, and the best examples of the sections cited: for a question asking
        for the spec's examples, all the first section's (to a limit, saying how many more)."""
        asked = asks_for_examples(ready.asked)
        ranked = self._search(ready, ready.query, asked)
        if ready.focus and not ready.standalone and confidence_of(ranked.clarity) != "high":
            # no rule clearly governs a follow-up's topic with its words: its own may find one
            alone = self._search(ready, ready.focus, asked)  # its role words pull nothing
            ranked = alone if _own_words_answer(ranked.clarity, alone.clarity) else ranked
        answers = self.settings.answers
        if not asked:
            return cited_examples(ranked, answers.top_examples)
        label = asked_label(ready.asked)
        shown = cited_examples(
            ranked, answers.top_examples, asked_limit=answers.top_examples_asked, label=label
        )
        return with_examples_left_out(shown, self.corpus().get(shown.release), label)

    def _search(self, ready: Prepared, query: str, asked: bool) -> RetrievalResult:
        top = self.settings.answers.top_sections
        examples = EXAMPLES_ASKED_CANDIDATES if asked else EXAMPLE_CANDIDATES
        return self.retriever.search(
            query,
            ready.release,
            k_sections=top,
            k_examples=examples,
            with_sentences=True,
            focus=ready.focus,
            precedents=asked,
        )

    def gather(self, ready: Prepared, ranked: RetrievalResult) -> Gathered:
        """Step 3: the evidence quoted; with an LLM, its checked draft over the sections it
        routed to (on failure, the extractive evidence and why)."""
        if not ready.use_llm:
            return Gathered(self._evidence(ready, trim_citations(ranked)))
        assert self.llm is not None
        try:
            draft = self.llm.answer(
                ready.question, ready.history, ranked, self.corpus().get(ranked.release)
            )
        except LLMUnavailable as exc:
            return Gathered(self._evidence(ready, trim_citations(ranked)), failure=str(exc))
        return Gathered(self._evidence(ready, draft.result), draft=draft)

    def decide(self, ready: Prepared, gathered: Gathered) -> Lead:
        """Step 4: what the answer leads with, and its notes: what changed in the first
        section since (a model's answer keeps it even off topic), and why it is not the answer
        asked for (or the model's own caveats)."""
        evidence, draft = gathered.evidence, gathered.draft
        english = ready.language is None
        asked = ready.asked or evidence.question
        lead = decide_lead(asked, evidence.result, evidence.standalone, english, ready.query)
        noted = lead.covered or draft is not None
        notice = joined_notices(ready.notice, gathered.notice())
        if lead.covered and evidence.standalone:  # "2025-02-12 has no section on this: …"
            notice = joined_notices(
                notice, self.structure.changes.added_after(ready.query, ready.release)
            )
        language = None if english else not_english_notice(str(ready.language))
        return replace(
            lead,
            note=self._note(evidence.result) if noted else None,
            notice=joined_notices(language, notice),
            fallback=gathered.failure is not None or ready.llm_missing,
        )

    @staticmethod
    def compose(ready: Prepared, gathered: Gathered, lead: Lead) -> Answer:
        """Step 5: the typed answer, in the LLM's words when it wrote one, else the spec's."""
        if gathered.draft is not None:
            return llm_answer(gathered.evidence, gathered.draft, lead, ready.started)
        return extractive_answer(gathered.evidence, lead, ready.started, ready.list_examples)

    # --- internals --------------------------------------------------------------------------
    def _gather_streamed(
        self, ready: Prepared, ranked: RetrievalResult
    ) -> Generator[StreamEvent, None, Gathered]:
        """:meth:`gather` with an LLM, as a stream: the evidence's citations as soon as they are
        known (``meta``), and the LLM's checked text as it is written; on failure, a rule under
        what it wrote (the extractive text follows)."""
        assert self.llm is not None
        evidence: Evidence | None = None
        final: Draft | None = None
        wrote = False
        try:
            rc = self.corpus().get(ranked.release)
            for part in self.llm.stream(ready.question, ready.history, ranked, rc):
                if isinstance(part, str):
                    wrote = True
                    yield StreamEvent("delta", {"text": part})
                elif evidence is None:  # the evidence the answer is written from, first
                    evidence = self._evidence(ready, part.result)
                    yield StreamEvent("meta", evidence.meta())
                else:
                    final = part
        except LLMUnavailable as exc:
            fallback = Gathered(self._evidence(ready, trim_citations(ranked)), failure=str(exc))
            if evidence is None:
                yield StreamEvent("meta", fallback.evidence.meta())
            if wrote:
                yield StreamEvent("delta", {"text": "\n\n---\n\n"})
            return fallback
        assert evidence is not None and final is not None
        return Gathered(_evidence_for(evidence, final.result), draft=final)

    @staticmethod
    def _evidence(ready: Prepared, result: RetrievalResult) -> Evidence:
        return Evidence.of(ready.question, result, ready.standalone, ready.asked)

    def _observed(self, answer: Answer, answer_id: str | None) -> Answer:
        answer = answer.model_copy(update={"id": answer_id}) if answer_id else answer
        for observer in self.observers:
            observer(answer)
        return answer

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


def _own_words_answer(topic: RankClarity, own: RankClarity) -> bool:
    """Whether a follow-up's own words (its role words left out: they pull no topic), searched
    alone, answer it rather than its topic's search (not "high"): when they find a rule more
    clearly than a "medium" topic; when the topic's search is "low", when they find one at all
    (of two unclear searches the thread's topic is kept: "what if our system prompt says to only
    talk about billing?" after a question about self-harm found the rule on regulated advice)."""
    if confidence_of(topic) == "low":
        return confidence_of(own) != "low"
    return own.margin > topic.margin


def _evidence_for(evidence: Evidence, result: RetrievalResult) -> Evidence:
    """The evidence for ``result``: ``evidence`` when routing kept its result, else made anew."""
    if result is evidence.result:
        return evidence
    return Evidence.of(evidence.question, result, evidence.standalone, evidence.asked)
