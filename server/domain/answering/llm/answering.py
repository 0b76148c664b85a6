"""LLM answers: route over the whole table of contents, then write from the chosen sections.

1. Routing (one short call, unless ``llm_route`` is off): the model sees the release's table of
   contents (stable, cached by providers) and the hybrid retriever's top sections, and names the
   governing sections. Ids are checked against the release (see :mod:`server.domain.answering.llm.routing`).
2. Answer: the model writes from those sections' full text (whole sentences up to a budget) and
   the retrieved examples, leading with a verdict. The reply is checked and neutralised
   (:mod:`server.domain.answering.llm.reply`) before any surface sees it.

Both calls share one slot and one deadline (:class:`server.domain.answering.llm.client.LLMClient`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from server.domain.answering.llm.client import Deadline, LLMClient
from server.domain.answering.llm.prompt import answer_messages, route_messages
from server.domain.answering.llm.reply import SPEC_HOST, CheckedReply, ReplyFilter, check_reply
from server.domain.answering.llm.routing import parse_route, routed_result
from server.domain.answering.llm.verdict import parse_verdict, split_verdict, verdict_line
from server.domain.retrieval.corpus import ReleaseCorpus
from server.domain.retrieval.hybrid import RetrievalResult
from server.domain.schemas import section_url
from server.domain.settings import DomainSettings

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

__all__ = ["Draft", "LLMAnswerer"]


@dataclass
class Draft:
    """A checked LLM answer and the evidence it was written from."""

    result: RetrievalResult
    verdict: str | None = None
    reply: CheckedReply = field(default_factory=CheckedReply)
    notes: list[str] = field(default_factory=list)

    def notice(self) -> str | None:
        parts = [*self.notes, self.reply.notice() or ""]
        return " ".join(p for p in parts if p) or None


class LLMAnswerer:
    def __init__(self, settings: DomainSettings) -> None:
        self.settings = settings
        self.client = LLMClient(settings.llm)
        self.hosts = _link_hosts(settings.answers.public_base_url)

    def answer(
        self, question: str, history: list[str], result: RetrievalResult, rc: ReleaseCorpus
    ) -> Draft:
        """Raises LLMUnavailable (LLMBusy when every slot is taken)."""
        with self.client.slot() as deadline:
            draft = self._route(question, history, result, rc, deadline)
            raw = self.client.complete(
                self._messages(question, history, draft.result), deadline, self._max_tokens
            )
        draft.verdict, body = parse_verdict(raw)
        draft.reply = check_reply(body, *_evidence_ids(draft.result), self._max_chars, self.hosts)
        return draft

    def stream(
        self, question: str, history: list[str], result: RetrievalResult, rc: ReleaseCorpus
    ) -> Iterator[Draft | str]:
        """Yields the draft (its evidence) first, then checked text, then the finished draft."""
        with self.client.slot() as deadline:
            draft = self._route(question, history, result, rc, deadline)
            yield draft
            pieces = self.client.stream(
                self._messages(question, history, draft.result), deadline, self._max_tokens
            )
            draft.verdict, rest = split_verdict(pieces)
            if draft.verdict:
                yield verdict_line(draft.verdict) + "\n\n"
            reply_filter = ReplyFilter(*_evidence_ids(draft.result), self._max_chars, self.hosts)
            written = []
            for piece in reply_filter.run(rest):
                written.append(piece)
                yield piece
            draft.reply = reply_filter.report
            draft.reply.text = "".join(written)
            yield draft

    @property
    def _max_tokens(self) -> int:
        return self.settings.llm.max_tokens

    @property
    def _max_chars(self) -> int:
        return self.settings.llm.max_answer_chars

    def _route(
        self,
        question: str,
        history: list[str],
        result: RetrievalResult,
        rc: ReleaseCorpus,
        deadline: Deadline,
    ) -> Draft:
        if not self.settings.llm.route or rc.toc is None:
            return Draft(result)
        limit = self.settings.answers.top_sections
        messages = route_messages(rc.toc, result.sections, question, history, limit)
        raw = self.client.complete(messages, deadline, self.settings.llm.route_max_tokens)
        choice = parse_route(raw, rc.toc.ids, limit)
        return Draft(routed_result(result, rc, choice), notes=choice.notes())

    def _messages(
        self, question: str, history: list[str], result: RetrievalResult
    ) -> list[ChatCompletionMessageParam]:
        return answer_messages(
            question,
            history,
            result,
            section_chars=self.settings.llm.section_chars,
            example_chars=self.settings.llm.example_chars,
        )


def _evidence_ids(result: RetrievalResult) -> tuple[set[str], dict[str, str]]:
    """The section ids an answer may cite (its evidence) and their canonical URLs."""
    ids = {hit.section.id for hit in result.sections} | {
        hit.example.section_id for hit in result.examples
    }
    return ids, {section_id: section_url(result.release, section_id) for section_id in ids}


def _link_hosts(public_base_url: str | None) -> tuple[str, ...]:
    """Where a bare URL in an answer may lead: the spec's site, and this server when public."""
    own = urlsplit(public_base_url).netloc if public_base_url else ""
    return (SPEC_HOST, own) if own else (SPEC_HOST,)
