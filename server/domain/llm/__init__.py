"""LLM answers through any OpenAI-compatible endpoint, routed over the whole table of contents and
grounded in the chosen sections. See :mod:`server.domain.llm.answering`."""

from server.domain.llm.answering import Draft, LLMAnswerer
from server.domain.llm.client import LLMBusy, LLMUnavailable
from server.domain.llm.reply import CheckedReply, ReplyFilter, check_reply
from server.domain.llm.verdict import parse_verdict, verdict_line

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
