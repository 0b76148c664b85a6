"""Precedent sets as files for a review document (the JSON form is ExamplesResponse itself)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from server.domain.precedents.example_view import judged_steps
from server.domain.schemas import ExampleCard, section_url

__all__ = ["CSV_COLUMNS", "examples_csv"]

CSV_COLUMNS = [
    "release",
    "example_id",
    "section_id",
    "authority",
    "url",
    "title",
    "conversation",
    "step",
    "user",
    "label",
    "rationale",
    "see_sections",
    "response",
]


def examples_csv(
    cards: list[ExampleCard], release: str, authorities: Mapping[str, str | None]
) -> str:
    """One row per labelled reply in the example's order: the example's every turn (system and
    developer messages included, as ``role: text`` paragraphs), its section's authority and link,
    ``step`` (the judged turn, from 1), ``user`` (the user turn that reply answers) and the reply."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for card in cards:
        turns = "\n\n".join(f"{t['role']}: {t['content']}" for t in card.conversation)
        head = [
            release,
            card.id,
            card.section_id,
            authorities.get(card.section_id) or "",
            section_url(release, card.section_id),
            card.title,
            turns,
        ]
        for number, step in enumerate(judged_steps(card), start=1):
            for response in step.responses:
                refs = " ".join(ref.section_id for ref in response.refs)
                writer.writerow(
                    [
                        *head,
                        number,
                        step.asked,
                        response.label,
                        response.rationale,
                        refs,
                        response.text,
                    ]
                )
    return buffer.getvalue()
