"""Excerpts for the LLM: the sections' text and the examples, in whole sentences up to a budget.

A text over budget keeps as many whole sentences as fit and ends with "…"; a first sentence that
alone is over budget is cut at a word boundary. Nothing is ever cut mid-word.
"""

from __future__ import annotations

from typing import Any

from specqa.core.spec import Example, Section
from specqa.core.text import SENTENCE_STOPS

__all__ = ["example_excerpt", "section_excerpt", "whole_sentences"]


def whole_sentences(text: str, budget: int) -> str:
    text = text.strip()
    if len(text) <= budget:
        return text
    end = 0
    for match in SENTENCE_STOPS.finditer(text, 0, budget + 1):
        end = match.end()
    if end == 0:
        end = max(text.rfind(" ", 0, budget), text.rfind("\n", 0, budget))
        if end <= 0:
            return "…"
    return text[:end].rstrip() + " …"


def section_excerpt(section: Section, path: list[str], budget: int) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "authority": section.authority,
        "path": " > ".join(path),
        "text": whole_sentences(section.body, budget),
    }


def example_excerpt(example: Example, budget: int) -> dict[str, Any]:
    """The example in order: each step's turns, then the labelled replies to its last turn."""
    return {
        "id": example.id,
        "section_id": example.section_id,
        "title": example.title,
        "steps": [
            {
                "turns": [
                    {"role": turn.role, "content": whole_sentences(turn.content, budget)}
                    for turn in step.turns
                ],
                "labelled_replies_to_the_last_turn": [
                    {
                        "label": response.label,
                        "text": whole_sentences(response.text, budget),
                        "rationale": whole_sentences(response.rationale, budget),
                        "see_sections": list(response.refs),
                    }
                    for response in step.responses
                ],
            }
            for step in example.steps
        ],
    }
