"""Labelled examples as every surface shows them: the steps in the order the spec wrote them.

An example is a list of steps; each step is some turns of the conversation, then the labelled
candidate replies to the last of them. A multi-step example (a reply judged, then a follow-up
question, then replies to that) must never be shown as all questions first and all replies after:
that pairs a reply with a question it never answered. The CLI, Slack, MCP, the CSV export and the
LLM evidence render through :func:`render_example` (or the helpers below); the web page follows
the same ``steps`` in JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.domain.schemas import (
    ExampleCard,
    ExampleResponse,
    ExampleStepCard,
    ExampleTurn,
    SectionLink,
    section_url,
)
from specqa.core.spec import Example, Response
from specqa.core.text import shorten, spec_text

__all__ = [
    "MARKDOWN",
    "ExampleStyle",
    "JudgedStep",
    "example_card",
    "judged_steps",
    "only_label",
    "render_example",
    "shorten",
    "step_labels",
]


def only_label(cards: list[ExampleCard], label: str | None) -> list[ExampleCard]:
    """With a label, each card keeps only the responses so labelled (in every step), and a card
    left with none is dropped."""
    if label is None:
        return cards
    wanted = label.upper()
    kept = [
        card.model_copy(
            update={
                "steps": [
                    step.model_copy(
                        update={"responses": [r for r in step.responses if r.label == wanted]}
                    )
                    for step in card.steps
                ]
            }
        )
        for card in cards
    ]
    return [card for card in kept if any(step.responses for step in card.steps)]


def example_card(example: Example, release: str) -> ExampleCard:
    """The typed card of ``example``; label references become links into ``release``."""
    return ExampleCard(
        id=example.id,
        title=example.title,
        section_id=example.section_id,
        steps=[
            ExampleStepCard(
                turns=[ExampleTurn(role=t.role, content=spec_text(t.content)) for t in step.turns],
                responses=[_response(r, release) for r in step.responses],
            )
            for step in example.steps
        ],
    )


def _response(response: Response, release: str) -> ExampleResponse:
    return ExampleResponse(
        label=response.label,
        text=spec_text(response.text),
        rationale=response.rationale,
        refs=[SectionLink(section_id=ref, url=section_url(release, ref)) for ref in response.refs],
    )


@dataclass(frozen=True)
class ExampleStyle:
    """How one surface writes a header, a turn and a labelled reply (one line each)."""

    header: Callable[[ExampleCard], str]
    turn: Callable[[ExampleTurn], str]
    response: Callable[[ExampleResponse], str]
    step_break: str | None = None  # a line between steps, if any


def render_example(card: ExampleCard, style: ExampleStyle) -> list[str]:
    """The example's lines: header, then per step its turns and the replies to the last one."""
    lines = [style.header(card)]
    for number, step in enumerate(card.steps):
        if number and style.step_break is not None:
            lines.append(style.step_break)
        lines += [style.turn(turn) for turn in step.turns]
        lines += [style.response(response) for response in step.responses]
    return lines


def step_labels(card: ExampleCard) -> str:
    """The labels of each judged step, in order: ``BAD GOOD → GOOD`` for a two-step example."""
    steps = [" ".join(r.label for r in step.responses) for step in judged_steps(card)]
    return " → ".join(steps) or "unlabelled"


@dataclass(frozen=True)
class JudgedStep:
    """A step with labelled replies, and the user turn they answer: the last one at or before
    the step (a step may carry only an assistant turn or a tool result before its replies)."""

    asked: str
    responses: list[ExampleResponse]


def judged_steps(card: ExampleCard) -> list[JudgedStep]:
    """The steps of ``card`` that have labelled replies, each with the user turn they answer."""
    judged: list[JudgedStep] = []
    asked = ""
    for step in card.steps:
        asked = next((t.content for t in reversed(step.turns) if t.role == "user"), asked)
        if step.responses:
            judged.append(JudgedStep(asked, step.responses))
    return judged


# --- markdown (MCP, chat) -----------------------------------------------------------------------

TEXT_CHARS = 400


def _markdown_header(card: ExampleCard) -> str:
    return f"**Example: {card.title}** (`{card.id}`, section `{card.section_id}`)"


def _markdown_turn(turn: ExampleTurn) -> str:
    return f"- *{turn.role}*: {shorten(turn.content, TEXT_CHARS)}"


def _markdown_response(response: ExampleResponse) -> str:
    refs = "".join(f" (see [{ref.section_id}]({ref.url}))" for ref in response.refs)
    why = f" — {response.rationale}" if response.rationale else ""
    return f"  - **{response.label}**{refs}{why}: {shorten(response.text, TEXT_CHARS)}"


MARKDOWN = ExampleStyle(header=_markdown_header, turn=_markdown_turn, response=_markdown_response)
