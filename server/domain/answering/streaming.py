"""The answer as server-sent events: what it cites (``meta``), its text in pieces (``delta``),
then the whole :class:`~server.domain.schemas.Answer` (``done``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from server.domain.answering.composing import paragraphs
from server.domain.schemas import Answer

__all__ = ["StreamEvent", "deltas", "made_events"]


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event: ``meta`` (citations, examples), ``delta`` (answer text), ``done``
    (carrying the final :class:`Answer` itself)."""

    type: Literal["meta", "delta", "done"]
    payload: dict[str, Any] = field(default_factory=dict)
    answer: Answer | None = None

    @property
    def data(self) -> dict[str, Any]:
        """What goes on the wire as JSON."""
        return self.answer.model_dump() if self.answer is not None else self.payload


def made_events(made: Answer) -> Iterator[StreamEvent]:
    """An answer made in :meth:`~server.domain.answering.service.AnsweringService.prepare`,
    streamed: what it cites, then its text."""
    yield StreamEvent(
        "meta",
        {
            "question": made.question,
            "release": made.release,
            "citations": [c.model_dump() for c in made.citations],
            "examples": [],
        },
    )
    yield from deltas(made.answer)


def deltas(markdown: str) -> Iterator[StreamEvent]:
    for piece in paragraphs(markdown):
        yield StreamEvent("delta", {"text": piece})
