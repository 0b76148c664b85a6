"""Precedent sets as files for a review document (the JSON form is ExamplesResponse itself)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from server.schemas import ExampleCard, section_url

__all__ = ["CSV_COLUMNS", "examples_csv"]

CSV_COLUMNS = [
    "release",
    "example_id",
    "section_id",
    "authority",
    "url",
    "title",
    "conversation",
    "user",
    "label",
    "rationale",
    "response",
]


def examples_csv(
    cards: list[ExampleCard], release: str, authorities: Mapping[str, str | None]
) -> str:
    """One row per labelled reply: the example's every turn (system and developer messages
    included, as ``role: text`` paragraphs), its section's authority and link, and the reply."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for card in cards:
        turns = "\n\n".join(f"{t['role']}: {t['content']}" for t in card.conversation)
        user = next((t["content"] for t in card.conversation if t["role"] == "user"), "")
        context = [
            release,
            card.id,
            card.section_id,
            authorities.get(card.section_id) or "",
            section_url(release, card.section_id),
            card.title,
            turns,
            user,
        ]
        for response in card.responses:
            writer.writerow([*context, response.label, response.rationale, response.text])
    return buffer.getvalue()
