"""Precedent sets as files for a review document (the JSON form is ExamplesResponse itself)."""

from __future__ import annotations

import csv
import io

from server.schemas import ExampleCard

__all__ = ["examples_csv"]


def examples_csv(cards: list[ExampleCard], release: str) -> str:
    """One row per labelled reply, with the example's first user turn for context."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["release", "example_id", "section_id", "title", "user", "label", "rationale", "response"]
    )
    for card in cards:
        user = next((t["content"] for t in card.conversation if t["role"] == "user"), "")
        for response in card.responses:
            context = [release, card.id, card.section_id, card.title, user]
            writer.writerow([*context, response.label, response.rationale, response.text])
    return buffer.getvalue()
