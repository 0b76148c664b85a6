"""An answer as chat shows it: the verdict, the lead a model's text is shown after (written by
:mod:`server.domain.answering.lead_text`, as on every surface), the answer and its sources as markdown
links. MCP's budgeted briefs are :mod:`server.mcp.briefs`."""

from __future__ import annotations

from server.domain.answering.lead_text import model_answer_lead
from server.domain.answering.llm import verdict_line
from server.domain.schemas import Answer

__all__ = ["render_chat_markdown", "sources_markdown"]


def render_chat_markdown(answer: Answer) -> str:
    """The verdict, the answer and its sources as markdown links. An extractive answer already links every cited section, so it gets no second list; a
    streamed answer carries its verdict line in its text already."""
    head = f"{verdict_line(answer.verdict)}\n\n" if answer.verdict else ""
    head += "".join(f"{line}\n\n" for line in model_answer_lead(answer))
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
