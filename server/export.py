"""Precedent sets as files for a review document (the JSON form is ExamplesResponse itself)."""

from __future__ import annotations

import csv
import io

from server.example_view import answered_user_turn
from server.schemas import ExampleCard

__all__ = ["examples_csv"]

COLUMNS = [
    "release",
    "example_id",
    "section_id",
    "title",
    "step",
    "user",
    "label",
    "rationale",
    "see_sections",
    "response",
]


def examples_csv(cards: list[ExampleCard], release: str) -> str:
    """One row per labelled reply in the example's order: ``step`` counts the judged turns from
    1, and ``user`` is the user turn that reply answers (not the example's first one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for card in cards:
        judged = [n for n, step in enumerate(card.steps) if step.responses]
        for number, step_index in enumerate(judged, start=1):
            user = answered_user_turn(card, step_index)
            context = [release, card.id, card.section_id, card.title, number, user]
            for response in card.steps[step_index].responses:
                refs = " ".join(ref.section_id for ref in response.refs)
                writer.writerow([*context, response.label, response.rationale, refs, response.text])
    return buffer.getvalue()
