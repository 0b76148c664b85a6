"""Routing: the LLM picks the governing sections from the release's whole table of contents.

Its reply must be JSON naming section ids. Ids are checked against the release: unknown ones are
dropped and reported; a reply that is not such JSON (nested too deep to read included), or names no
known section, leaves the hybrid retriever's sections in place (and says so).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from server.domain.retrieval.corpus import ReleaseCorpus
from server.domain.retrieval.hybrid import RetrievalResult, SectionHit

__all__ = ["RouteChoice", "parse_route", "routed_result"]

_MAX_REPLY_CHARS = 4000


@dataclass
class RouteChoice:
    ids: list[str] = field(default_factory=list)  # known ids, in the model's order
    unknown: list[str] = field(default_factory=list)
    malformed: bool = False

    def notes(self) -> list[str]:
        notes = []
        if self.unknown:
            shown = ", ".join(self.unknown[:10])
            notes.append(f"The router named sections that are not in this release: {shown}.")
        if self.malformed:
            notes.append(
                "The router's reply could not be read; the search engine's sections were used."
            )
        return notes


def parse_route(reply: str, known: frozenset[str] | set[str], limit: int) -> RouteChoice:
    names = _names(reply[:_MAX_REPLY_CHARS])
    if names is None:
        return RouteChoice(malformed=True)
    choice = RouteChoice()
    for name in dict.fromkeys(names):
        (choice.ids if name in known else choice.unknown).append(name)
    choice.ids = choice.ids[:limit]
    if not choice.ids:
        choice.malformed = True
    return choice


def _names(reply: str) -> list[str] | None:
    start, end = reply.find("{"), reply.rfind("}")
    if start == -1 or end < start:
        return None
    try:
        data = json.loads(reply[start : end + 1])
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None
    sections = data.get("sections") if isinstance(data, dict) else None
    if not isinstance(sections, list) or not all(isinstance(s, str) for s in sections):
        return None
    return [s.strip().strip("[]#`") for s in sections if s.strip()]


def routed_result(
    result: RetrievalResult, rc: ReleaseCorpus, choice: RouteChoice
) -> RetrievalResult:
    """The hybrid's result with its sections replaced by the chosen ones (examples kept)."""
    if choice.malformed:
        return result
    scores = {hit.section.id: hit for hit in result.sections}
    sections = [
        scores.get(section_id)
        or SectionHit(rc.section(section_id), 0.0, rc.path(rc.section(section_id)), [])
        for section_id in choice.ids
    ]
    return replace(result, sections=sections, timings=dict(result.timings))
