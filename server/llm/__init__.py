"""LLM answers through any OpenAI-compatible endpoint, routed over the whole table of contents and
grounded in the chosen sections. See :mod:`server.llm.answering`."""

from server.llm.answering import Draft, LLMAnswerer
from server.llm.client import LLMBusy, LLMUnavailable
from server.llm.reply import CheckedReply, ReplyFilter, check_reply
from server.llm.verdict import parse_verdict, verdict_line

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
