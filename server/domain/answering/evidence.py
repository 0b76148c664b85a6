"""The evidence an answer is made from: for one retrieval result, its sections' quotes, its
citations and its example cards, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.domain.answering.quoting import best_sentences
from server.domain.precedents.example_view import example_card, only_label
from server.domain.retrieval.hybrid import RetrievalResult
from server.domain.retrieval.query_cues import asked_label
from server.domain.schemas import Citation, ExampleCard, section_citation, section_url

__all__ = ["Evidence"]


@dataclass(frozen=True)
class Evidence:
    """What an answer cites: made once per retrieval result, shown first when streaming and
    carried by the final answer unchanged."""

    question: str
    result: RetrievalResult
    quotes: dict[str, str]  # section id -> its best sentences for the question, verbatim
    citations: list[Citation]
    examples: list[ExampleCard]
    standalone: bool = True  # False for a follow-up, whose own words lean on the turn before
    asked: str = ""  # what the quotes are chosen for: the question without the release it names

    @classmethod
    def of(
        cls, question: str, result: RetrievalResult, standalone: bool = True, asked: str = ""
    ) -> Evidence:
        """``asked``: the question as searched ("Under the February 2025 version of the spec,
        will it…?" searches "will it…?"); the quotes are chosen for it, not for the release's name."""
        asked = asked or question
        quotes = {
            hit.section.id: best_sentences(hit.section.body, asked) for hit in result.sections
        }
        citations = [
            section_citation(result.release, h.section, quotes[h.section.id])
            for h in result.sections
        ]
        examples = [example_card(h.example, result.release) for h in result.examples]
        # "Show me BAD examples about…": the replies so labelled, as a precedent search gives them
        examples = only_label(examples, asked_label(question))
        return cls(question, result, quotes, citations, examples, standalone, asked)

    def meta(self, with_examples: bool = True) -> dict[str, Any]:
        """The stream's first event: what the answer will cite (``with_examples``: and show;
        not an answer off topic's)."""
        return {
            "question": self.question,
            "release": self.result.release,
            "citations": [c.model_dump() for c in self.citations],
            "examples": [e.model_dump() for e in self.examples] if with_examples else [],
        }

    def urls(self) -> dict[str, str]:
        result = self.result
        ids = {hit.section.id for hit in result.sections} | {
            hit.example.section_id for hit in result.examples
        }
        return {section_id: section_url(result.release, section_id) for section_id in ids}
