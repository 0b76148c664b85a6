"""Answers as Slack Block Kit messages.

Every piece of spec or user text is escaped for mrkdwn (``&``, ``<``, ``>``) before our own
markup is added, so ``<!channel>``, ``<@U…>`` and ``<url|text>`` in a question or in the spec
arrive as plain text: they neither ping nor link. The only links are the ones built here, to
sections of the spec. Sections hold at most 3000 characters and a message at most 50 blocks;
longer answers are split.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from server.domain.precedents.example_view import ExampleStyle, render_example, shorten
from server.domain.schemas import (
    Answer,
    ExampleCard,
    ExampleResponse,
    ExampleTurn,
    section_url,
)

__all__ = [
    "MAX_BLOCKS",
    "SECTION_LIMIT",
    "Block",
    "SlackMessage",
    "escape",
    "example_blocks",
    "fallback_text",
    "markdown_to_mrkdwn",
    "notice_messages",
    "shorten_escaped",
    "split_text",
]

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
MAX_EXAMPLES = 3
FALLBACK_CHARS = 300
EXAMPLE_LINE_CHARS = 150

_SPEC_LINK = re.compile(r"\[([^\]\n]+)\]\((https://model-spec\.openai\.com/[^)\s]+)\)")
# our own diff page: a link where the server knows its public address (SPECQA_PUBLIC_BASE_URL),
# else its label and path as code (Slack opens no relative link)
_DIFF_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://[^/\s)]+)?/diff\?[^)\s]*)\)")
# a word diff's marks ("[-removed-]{+added+}") as Slack's strike and bold
_REMOVED = re.compile(r"\[-(\s*)(.+?)(\s*)-\]")
_ADDED = re.compile(r"\{\+(\s*)(.+?)(\s*)\+\}")
# the spec writes an em dash as "---" between words
_DASH = re.compile(r"(?<=\s)---(?=\s)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_MARKDOWN_ENTITY = re.compile("&(lt|gt|amp);")
_ENTITY_CHARS = {"lt": "<", "gt": ">", "amp": "&"}

Block = dict[str, Any]


class SlackMessage(TypedDict):
    text: str  # the fallback shown in notifications and by clients without blocks
    blocks: list[Block]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_to_mrkdwn(markdown: str) -> str:
    """Escape everything, then turn links to spec sections and bold into Slack syntax. The
    markdown's ``&lt;``, ``&gt;`` and ``&amp;`` (an LLM answer's ``<``, ``>`` and ``&``) are
    read as the characters they stand for first, so Slack shows them as such."""
    text = escape(_MARKDOWN_ENTITY.sub(lambda m: _ENTITY_CHARS[m[1]], markdown))
    text = _SPEC_LINK.sub(lambda m: f"<{m[2]}|{_label(m[1])}>", text)
    text = _DIFF_LINK.sub(_diff_link, text)
    text = _REMOVED.sub(r"\1~\2~\3", text)
    text = _ADDED.sub(r"\1*\2*\3", text).replace("~*", "~ *")  # marks must not touch
    text = _DASH.sub("—", text)
    text = _HEADING.sub(r"*\1*", text)
    return _BOLD.sub(r"*\1*", text)


def _diff_link(match: re.Match[str]) -> str:
    label, url = match[1], match[2]
    return f"<{url}|{_label(label)}>" if "://" in url else f"{label} (`{url}`)"


def notice_messages(text: str) -> list[SlackMessage]:
    """A short message of our own (usage, an error): ``text`` is escaped too."""
    return _as_messages([_section(escape(text))], shorten_escaped(text, FALLBACK_CHARS))


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a line or word boundary and
    never inside a ``<url|label>`` link or an ``&amp;`` entity."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = _cut_point(text, limit)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


# --- blocks -----------------------------------------------------------------------------------


def _section(mrkdwn: str) -> Block:
    # verbatim: Slack does not auto-link URLs, channel names or mentions in the text
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def _sections(mrkdwn: str) -> list[Block]:
    return [_section(piece) for piece in split_text(mrkdwn)]


def example_blocks(
    examples: list[ExampleCard], release: str, not_shown: str | None = None
) -> list[Block]:
    """Each example with its steps in order: turns, then the labelled replies to the last; then
    how many are not shown here, and ``not_shown`` (what the answer says its first section has
    besides)."""
    if not examples:
        return []
    blocks = [_section("*Matching examples*")]
    for example in examples[:MAX_EXAMPLES]:
        blocks += _sections("\n".join(render_example(example, _slack_style(release))))
    unshown = len(examples) - MAX_EXAMPLES
    if unshown > 0:
        more = f"{unshown} more matching example{'s' if unshown != 1 else ''}"
        blocks.append(_section(f"_{more} not shown here (`specqa examples search` lists them)._"))
    if not_shown:
        blocks.append(_section(f"_{markdown_to_mrkdwn(not_shown)}_"))
    return blocks


def _slack_style(release: str) -> ExampleStyle:
    def header(card: ExampleCard) -> str:
        url = section_url(release, card.section_id)
        return f"• *<{url}|{_label(escape(card.title))}>* `{escape(card.id)}`"

    return ExampleStyle(header=header, turn=_slack_turn, response=_slack_reply)


def _slack_turn(turn: ExampleTurn) -> str:
    return f"      _{escape(turn.role)}:_ {escape(shorten(turn.content, EXAMPLE_LINE_CHARS))}"


def _slack_reply(response: ExampleResponse) -> str:
    refs = "".join(f" (see <{ref.url}|{_label(escape(ref.section_id))}>)" for ref in response.refs)
    why = (
        f" — _{escape(shorten(response.rationale, EXAMPLE_LINE_CHARS))}_"
        if response.rationale
        else ""
    )
    text = escape(shorten(response.text, EXAMPLE_LINE_CHARS))
    return f"      ↳ *{escape(response.label)}*{refs}{why}: {text}"


def fallback_text(answer: Answer) -> str:
    """The one line a notification shows: the verdict if any, the question, the sections (each
    once, with its authority) and the release."""
    head = f"Verdict: {answer.verdict.capitalize()}. " if answer.verdict else ""
    sections = dict.fromkeys(
        f"{c.title} ({c.authority})" if c.authority else c.title for c in answer.citations
    )
    cited = "; ".join(list(sections)[:3]) or "no matching section"
    question = _shorten(" ".join(answer.question.split()), 120)
    summary = f"{head}{question} · {cited} · Model Spec {answer.release}"
    return escape(_shorten(summary, FALLBACK_CHARS))


def _as_messages(blocks: list[Block], fallback: str) -> list[SlackMessage]:
    groups = [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]
    return [
        SlackMessage(text=fallback if n == 0 else f"{fallback} (continued)", blocks=group)
        for n, group in enumerate(groups)
    ]


# --- text helpers -------------------------------------------------------------------------------


def _label(escaped: str) -> str:
    """A link label: ``|`` would end it early."""
    return escaped.replace("|", "¦")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def shorten_escaped(text: str, room: int) -> str:
    """Escape ``text`` (the spec's spaced ``---`` becoming the em dash it stands for, as
    everywhere else) and shorten it to ``room`` characters without cutting an entity."""
    escaped = _DASH.sub("—", escape(text))
    if len(escaped) <= room:
        return escaped
    return escaped[: _cut_point(escaped, room - 1)].rstrip() + "…"


def _cut_point(text: str, limit: int) -> int:
    cut = text.rfind("\n", 0, limit + 1)
    if cut < limit // 2:
        cut = text.rfind(" ", 0, limit + 1)
    if cut < limit // 2:
        cut = limit
    opened = text.rfind("<", 0, cut)
    if opened > text.rfind(">", 0, cut) and opened > 0:  # inside a link we built
        cut = opened
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in text[amp:cut]:  # inside &amp; &lt; &gt;
        cut = amp
    return max(cut, 1)
