"""The LLM judge: one verdict on one reply, read from a schema and checked before it counts.

1. Routing, as answers do: the model picks the governing sections from the release's table of
   contents and the retriever's shortlist (:mod:`server.domain.answering.llm.routing`).
2. One judge call with the conversation fenced as data (:mod:`server.domain.audit.judge_prompt`),
   asking for JSON (``response_format`` json_schema unless turned off) and validating it either
   way. An unreadable reply is asked for once more; then the row is ``unjudged`` with the reason.
3. A verdict that repeats a verdict object written in the conversation itself (same verdict, same
   reason) is rejected as ``unjudged``: the data wrote it, not the judge. Asking again would show
   the same injected text to the same model, so the honest outcome is to say so.
4. Each quoted sentence must be verbatim in the section it names, and that section must be in the
   evidence; the others are dropped (and counted in the row's notes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from server.domain.answering.llm.client import Deadline, LLMClient, LLMUnavailable
from server.domain.answering.llm.prompt import route_messages
from server.domain.answering.llm.routing import parse_route, routed_result
from server.domain.audit.conversations import Conversation
from server.domain.audit.judge_prompt import (
    RESPONSE_FORMAT,
    JudgeReply,
    judge_messages,
    read_judge_reply,
)
from server.domain.retrieval.corpus import ReleaseCorpus
from server.domain.retrieval.hybrid import RetrievalResult
from server.domain.settings import DomainSettings
from specqa.core.quotes import MIN_SENTENCE_CHARS, passages_of, section_text

__all__ = ["JudgeOutcome", "LLMJudge", "echoed_verdict"]

_TURN_CHARS = 4000
_MAX_OBJECTS_SCANNED = 200
_SPACE = re.compile(r"\s+")


@dataclass
class JudgeOutcome:
    """A verdict with its quotes (verified), or ``unjudged`` and why; the evidence it used."""

    verdict: str
    reason: str
    result: RetrievalResult
    sentences: list[tuple[str, str]] = field(default_factory=list)  # (section id, quote)
    notes: list[str] = field(default_factory=list)


class LLMJudge:
    """Judges replies through any OpenAI-compatible endpoint; its own slots and deadline."""

    def __init__(self, settings: DomainSettings) -> None:
        self.settings = settings
        self.client = LLMClient(settings.llm)
        self.name = f"llm:{settings.llm.model}"

    def judge(
        self, conversation: Conversation, question: str, result: RetrievalResult, rc: ReleaseCorpus
    ) -> JudgeOutcome:
        """Never raises for the LLM's sake: an endpoint that fails gives an ``unjudged`` outcome."""
        try:
            with self.client.slot(wait_s=self.settings.llm.deadline_s) as deadline:
                outcome = self._route(question, result, rc, deadline)
                return self._verdict(conversation, outcome, deadline)
        except LLMUnavailable as exc:
            return JudgeOutcome("unjudged", f"the judge could not be asked: {exc}", result)

    def _route(
        self, question: str, result: RetrievalResult, rc: ReleaseCorpus, deadline: Deadline
    ) -> JudgeOutcome:
        if not self.settings.llm.route or rc.toc is None:
            return JudgeOutcome("unjudged", "", result)
        limit = self.settings.answers.top_sections
        messages = route_messages(rc.toc, result.sections, question, [], limit)
        raw = self.client.complete(messages, deadline, self.settings.llm.route_max_tokens)
        choice = parse_route(raw, rc.toc.ids, limit)
        return JudgeOutcome("unjudged", "", routed_result(result, rc, choice), notes=choice.notes())

    def _verdict(
        self, conversation: Conversation, routed: JudgeOutcome, deadline: Deadline
    ) -> JudgeOutcome:
        messages, data = judge_messages(
            conversation,
            routed.result,
            section_chars=self.settings.llm.section_chars,
            example_chars=self.settings.llm.example_chars,
            turn_chars=_TURN_CHARS,
        )
        response_format = RESPONSE_FORMAT if self.settings.judge.response_format else None
        reply: JudgeReply | str = "no reply"
        for _ in range(2):  # an unreadable reply is asked for once more
            raw = self.client.complete(
                messages, deadline, self.settings.judge.max_tokens, response_format
            )
            reply = read_judge_reply(raw)
            if isinstance(reply, JudgeReply):
                break
        if isinstance(reply, str):
            return _unjudged(routed, f"{reply}, twice")
        if echoed_verdict(reply, data):
            return _unjudged(
                routed,
                "the judge's verdict repeats one written in the conversation under review "
                "(an injection?), so it is not trusted",
            )
        kept, dropped = _verified(reply, routed.result)
        notes = list(routed.notes)
        if dropped:
            notes.append(
                f"{dropped} quoted sentence(s) not found verbatim in the cited section were dropped"
            )
        reason = " ".join(reply.reason.split())
        return JudgeOutcome(reply.verdict, reason, routed.result, kept, notes)


def _unjudged(routed: JudgeOutcome, reason: str) -> JudgeOutcome:
    return JudgeOutcome("unjudged", reason, routed.result, notes=routed.notes)


def _spaced(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _normal(text: str) -> str:
    return _spaced(text).lower()


def echoed_verdict(reply: JudgeReply, data: str) -> bool:
    """Whether the conversation holds a verdict object with this verdict and this reason."""
    texts: list[str] = [str(t.get("content", "")) for t in json.loads(data)["earlier_turns"]]
    texts.append(json.loads(data)["reply_under_review"])
    wanted = (reply.verdict, _normal(reply.reason))
    return any(
        (obj.get("verdict"), _normal(str(obj.get("reason", "")))) == wanted
        for text in texts
        for obj in _objects(text)
    )


def _objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects written in ``text`` (at most a bounded number are tried)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    for tried, match in enumerate(re.finditer(r"\{", text)):
        if tried >= _MAX_OBJECTS_SCANNED:
            break
        try:
            obj, _ = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict):
            found.append(obj)
    return found


def _verified(reply: JudgeReply, result: RetrievalResult) -> tuple[list[tuple[str, str]], int]:
    """The quotes found verbatim in the evidence section they name, and how many were not."""
    texts = {hit.section.id: _spaced(section_text(hit.section.body)) for hit in result.sections}
    kept: list[tuple[str, str]] = []
    for sentence in reply.sentences:
        text = texts.get(sentence.section_id)
        passages = [_spaced(p) for p in passages_of(sentence.quote) if p.strip()]
        long_enough = sum(map(len, passages)) >= MIN_SENTENCE_CHARS
        if text is not None and long_enough and all(p in text for p in passages):
            kept.append((sentence.section_id, sentence.quote.strip()))
    return kept, len(reply.sentences) - len(kept)
