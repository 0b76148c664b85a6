"""Markdown that several surfaces show: an answer with its verdict and sources (chat, MCP, the
web page's copy button)."""

from __future__ import annotations

from server.domain.llm import verdict_line
from server.domain.schemas import Answer

__all__ = ["render_chat_markdown", "sources_markdown"]


def render_chat_markdown(answer: Answer) -> str:
    """The verdict, the answer and its sources as markdown links (shared with the web page and
    MCP). An extractive answer already links every cited section, so it gets no second list; a
    streamed answer carries its verdict line in its text already."""
    head = f"{verdict_line(answer.verdict)}\n\n" if answer.verdict else ""
    return head + answer.answer + sources_markdown(answer)


def sources_markdown(answer: Answer) -> str:
    if answer.mode == "extractive" or not answer.citations:
        return ""
    lines = ["", "", "**Sources**"]
    lines += [
        f"{n}. [{c.title}]({c.url}) · `{c.section_id}` · authority: {c.authority or 'none'} · release {c.release}"
        for n, c in enumerate(answer.citations, start=1)
    ]
    return "\n".join(lines)
