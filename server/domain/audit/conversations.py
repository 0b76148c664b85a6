"""The input of an audit: one conversation a line, in the OpenAI chat format
(``{"messages": [...]}``), the last assistant turn being the reply under review.

Every way a line can be unusable is a :class:`AuditProblem` with the line's number, never an
exception: not JSON, JSON nested deeper than the parser goes, a lone surrogate (``\\ud800``, not
Unicode), a line over :data:`MAX_LINE_BYTES`, no assistant reply. Lines are read with a bounded
``readline``, so a file with one enormous line streams through in bounded memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from pydantic import BaseModel

from specqa.core.errors import InputError
from specqa.core.text import without_controls

__all__ = [
    "INSTRUCTING_ROLES",
    "MAX_LINE_BYTES",
    "AuditProblem",
    "Conversation",
    "check_something_to_audit",
    "instructions_of",
    "numbered_lines",
    "parse_conversation",
]

MAX_LINE_BYTES = 256 * 1024
EARLIER_TURNS = 8  # the turns before the reply a judge sees
INSTRUCTING_ROLES = ("system", "developer")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
TOO_LONG = "\x00too long"  # the text of a line cut off by numbered_lines


class AuditProblem(BaseModel):
    line: int
    error: str


@dataclass(frozen=True)
class Conversation:
    line: int
    question: str
    reply: str
    turns: tuple[tuple[str, str], ...] = field(default=())  # (role, text) before the reply
    instructions: tuple[str, ...] = field(default=())  # the system and developer messages

    @property
    def routing_query(self) -> str:
        """What the governing sections are retrieved for: the turn the reply answers, then the
        system and developer instructions it was given ("Your output is sent as a plain-text
        SMS" decides which rule a Markdown reply breaks). On the spec's own examples with such
        instructions their section came first 22 times of 25 with them, 18 without."""
        return "\n".join([self.question, *self.instructions])


def numbered_lines(source: IO[bytes], on_bytes: Any = None) -> Iterator[tuple[int, str]]:
    """``(number, text)`` for each line; a line over the limit comes as :data:`TOO_LONG` after
    the rest of it is skipped. ``on_bytes(n)`` is told how many bytes were read (progress)."""
    number = 0
    while raw := source.readline(MAX_LINE_BYTES + 1):
        number += 1
        if on_bytes is not None:
            on_bytes(len(raw))
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while rest := source.readline(MAX_LINE_BYTES):  # the rest of it, skipped
                if on_bytes is not None:
                    on_bytes(len(rest))
                if rest.endswith(b"\n"):
                    break
            yield number, TOO_LONG
            continue
        yield number, raw.decode("utf-8", errors="replace")


def parse_conversation(line: int, text: str) -> Conversation | AuditProblem:
    """One input line as a conversation to audit, or the reason it cannot be one."""
    if text == TOO_LONG or len(text) > MAX_LINE_BYTES:
        return AuditProblem(line=line, error=f"line is longer than {MAX_LINE_BYTES} bytes")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return AuditProblem(line=line, error=f"not JSON: {exc.msg}")
    except RecursionError:
        return AuditProblem(line=line, error="not readable: JSON nested too deep")
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list):
        return AuditProblem(line=line, error='expected an object with a "messages" list')
    if not messages:
        return AuditProblem(line=line, error='"messages" is empty: no assistant reply to review')
    turns = [(m.get("role"), _content(m.get("content"))) for m in messages if isinstance(m, dict)]
    if any(_SURROGATE.search(content) for _, content in turns):
        return AuditProblem(line=line, error="not Unicode: a lone surrogate (e.g. \\ud800)")
    turns = [(role, without_controls(content)) for role, content in turns]
    last_reply = max((i for i, (role, _) in enumerate(turns) if role == "assistant"), default=-1)
    if last_reply < 0 or not turns[last_reply][1].strip():
        return AuditProblem(line=line, error="no assistant reply to review")
    before = [(str(role), content) for role, content in turns[:last_reply] if content.strip()]
    users = [content for role, content in before if role == "user"]
    # no user turn (a developer's instruction, a tool result): the last turn the reply answers
    prompts = users or [content for role, content in before if role != "assistant"]
    if not prompts:
        return AuditProblem(line=line, error="nothing before the assistant reply to answer")
    return Conversation(
        line=line,
        question=prompts[-1],
        reply=turns[last_reply][1],
        turns=tuple(before[-EARLIER_TURNS:]),
        instructions=instructions_of(before),
    )


def check_something_to_audit(items: Sequence[object]) -> None:
    """Every line bad (``items``: each line's conversation, row or problem) is bad input, not an
    empty audit: an InputError naming the first few."""
    problems = [item for item in items if isinstance(item, AuditProblem)]
    if not problems or len(problems) < len(items):
        return
    shown = "; ".join(f"line {p.line}: {p.error}" for p in problems[:3])
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    every = "its one line is" if len(problems) == 1 else f"all {len(problems)} lines are"
    raise InputError(f"no conversation audited: {every} bad ({shown}{more})")


def instructions_of(turns: list[tuple[str, str]]) -> tuple[str, ...]:
    """The system and developer messages among ``turns``, in order."""
    return tuple(text for role, text in turns if role in INSTRUCTING_ROLES)


def _content(content: Any) -> str:
    """Message content as text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return ""
