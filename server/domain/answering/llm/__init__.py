"""LLM answers through any OpenAI-compatible endpoint, routed over the whole table of contents and
grounded in the chosen sections. See :mod:`server.domain.answering.llm.answering`."""

from server.domain.answering.llm.answering import Draft, LLMAnswerer
from server.domain.answering.llm.client import LLMBusy, LLMUnavailable
from server.domain.answering.llm.reply import CheckedReply, ReplyFilter, check_reply
from server.domain.answering.llm.verdict import parse_verdict, verdict_line

__all__ = [
    "CheckedReply",
    "Draft",
    "LLMAnswerer",
    "LLMBusy",
    "LLMUnavailable",
    "ReplyFilter",
    "check_reply",
    "parse_verdict",
    "verdict_line",
]
