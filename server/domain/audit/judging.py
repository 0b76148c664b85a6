"""Judged audits: each conversation becomes one :class:`~server.domain.audit.judged.JudgedRow`.

The governing sections come from the answering service's retrieval (and, with the LLM judge, its
routing over the table of contents, as answers do); the verdict from
:class:`~server.domain.audit.llm_judge.LLMJudge`; the nearest labelled precedents from the precedent
matcher, each marked ``close`` only at the calibrated resemblance threshold. Without a judge a row
says so ("no judge: ...") and carries the sections and precedents only.

:meth:`AuditJudge.rows` judges many at once on a bounded pool of threads (at most
``SPECQA_LLM_MAX_CONCURRENT`` calls in flight), holding only a small window of conversations in
memory, and yields rows as they are done (not in line order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace

from server.domain.answering.lead import trim_citations
from server.domain.answering.service import AnsweringService
from server.domain.answering.service_lookups import PRECEDENT_CANDIDATES
from server.domain.audit.conversations import AuditProblem, Conversation
from server.domain.audit.judge_prompt import JUDGE_PROMPT
from server.domain.audit.judged import JudgedPrecedent, JudgedRow, JudgedSentence
from server.domain.audit.llm_judge import JudgeOutcome, LLMJudge
from server.domain.retrieval.hybrid import RetrievalResult
from specqa.core.errors import SpecQAError

__all__ = ["NO_JUDGE", "AuditJudge", "estimate_tokens"]

NO_JUDGE = "no judge: governing sections and nearest precedents only"
QUESTION_CHARS = 500
INSTRUCTIONS_CHARS = 800
REPLY_CHARS = 1500
PRECEDENTS_SHOWN = 3

Item = Conversation | AuditProblem


class AuditJudge:
    """Judges conversations for one service, with the LLM judge or without one."""

    def __init__(self, service: AnsweringService, llm: LLMJudge | None) -> None:
        self.service = service
        self.llm = llm

    @property
    def name(self) -> str:
        return self.llm.name if self.llm is not None else "none"

    def row(
        self, item: Item, release: str | None, leave_out: frozenset[str] = frozenset()
    ) -> JudgedRow:
        """One row; ``leave_out`` names examples kept out of the evidence and the precedents."""
        if isinstance(item, AuditProblem):
            return self._unjudged(item.line, f"bad line: {item.error}", release)
        settings = self.service.settings
        try:
            query = self.service.validate_question(
                item.routing_query[: settings.answers.max_question_chars]
            )
            found = self.service.retriever.search(
                query,
                release,
                k_sections=settings.answers.top_sections,
                k_examples=PRECEDENT_CANDIDATES,
                precedents=True,
            )
            rc = self.service.corpus().get(found.release)
        except SpecQAError as exc:
            return self._unjudged(item.line, exc.message, release)
        found = _leaving_out(found, leave_out)
        evidence = replace(found, examples=found.examples[: settings.answers.top_examples])
        if self.llm is not None:
            outcome = self.llm.judge(item, query, evidence, rc)
        else:
            outcome = JudgeOutcome("unjudged", NO_JUDGE, trim_citations(evidence))
        return self._row(item, outcome, found)

    def rows(
        self,
        items: Iterable[Item],
        release: str | None,
        workers: int,
        leave_out: Callable[[Item], frozenset[str]] | None = None,
    ) -> Iterator[JudgedRow]:
        """Rows as they are done, ``workers`` at a time."""
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit-judge")
        pending: set[Future[JudgedRow]] = set()
        try:
            for item in items:
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
                left_out = leave_out(item) if leave_out is not None else frozenset()
                pending.add(pool.submit(self.row, item, release, left_out))
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _row(self, item: Conversation, outcome: JudgeOutcome, found: RetrievalResult) -> JudgedRow:
        # a reply breaks or follows a rule: an explanatory section (no authority level, such as
        # `definitions`) governs a row only when no rule is among its sections, nor among those
        # retrieved before the citations were trimmed
        sections = sorted(outcome.result.sections, key=lambda hit: hit.section.authority is None)
        if sections and sections[0].section.authority is None:
            ruled = next((hit for hit in found.sections if hit.section.authority), None)
            sections = [ruled, *sections] if ruled is not None else sections
        matcher = self.service.precedents
        nearest = (
            matcher.nearest(item.reply, found.release, [h.example for h in found.examples])
            if matcher is not None
            else []
        )
        return JudgedRow(
            line=item.line,
            verdict=outcome.verdict,  # type: ignore[arg-type]
            reason=outcome.reason,
            sections=[hit.section.id for hit in sections],
            section_titles={hit.section.id: hit.section.title for hit in sections},
            sentences=[JudgedSentence(section_id=s, quote=q) for s, q in outcome.sentences],
            precedents=[
                JudgedPrecedent(
                    example_id=m.example_id,
                    section_id=m.section_id,
                    label=m.label,
                    similarity=m.similarity,
                    close=matcher is not None and m.similarity >= matcher.threshold,
                )
                for m in nearest[:PRECEDENTS_SHOWN]
            ],
            release=found.release,
            judge=self.name,
            question=item.question[:QUESTION_CHARS],
            instructions=_shortened("\n\n".join(item.instructions), INSTRUCTIONS_CHARS),
            reply=item.reply[:REPLY_CHARS],
            notes=outcome.notes,
        )

    def _unjudged(self, line: int, reason: str, release: str | None) -> JudgedRow:
        return JudgedRow(
            line=line, verdict="unjudged", reason=reason, release=release, judge=self.name
        )


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _leaving_out(found: RetrievalResult, leave_out: frozenset[str]) -> RetrievalResult:
    if not leave_out:
        return found
    return replace(found, examples=[h for h in found.examples if h.example.id not in leave_out])


def estimate_tokens(
    conversations: int, input_bytes: int, service: AnsweringService, judged: bool
) -> int:
    """A rough upper bound of the tokens a judged run sends and receives (4 characters a token):
    the prompt, the evidence at its budgets, the routing table of contents, the input itself."""
    if not judged or conversations == 0:
        return 0
    settings = service.settings
    evidence = settings.answers.top_sections * settings.llm.section_chars
    evidence += settings.answers.top_examples * 4 * settings.llm.example_chars
    toc = service.corpus().get(None).toc
    routing = len(toc.text) if settings.llm.route and toc is not None else 0
    per_call = (len(JUDGE_PROMPT) + evidence + routing) // 4
    per_call += settings.judge.max_tokens + settings.llm.route_max_tokens
    return conversations * per_call + input_bytes // 4
