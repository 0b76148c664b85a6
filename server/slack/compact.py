"""The compact answer: what Slack shows first, and the buttons on it.

One message: the question, the bottom line (or the verdict and the model's answer, or the changed
text), the top quote with its link, a line naming the release and the mode, and the buttons:
*Show examples* (the same message with the matching examples under it), *Share in channel* (on an
ephemeral answer only) and 👍/👎. Each button's ``value`` carries the answer's id, and the question
and release so that any replica can answer it again when it no longer remembers the answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from server.domain.answering.lead_text import (
    bottom_line_mrkdwn,
    bottom_line_quote,
    changed_since,
    lead_markdown,
    no_model_mrkdwn,
    unclear_statement,
)
from server.domain.schemas import Answer
from server.slack.blocks import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    Block,
    SlackMessage,
    escape,
    example_blocks,
    fallback_text,
    markdown_to_mrkdwn,
    shorten_escaped,
    split_text,
)

__all__ = [
    "ACTIONS",
    "BAD",
    "EXAMPLES",
    "GOOD",
    "SHARE",
    "ButtonValue",
    "as_payload",
    "compact_message",
    "read_value",
]

SHARE, EXAMPLES, GOOD, BAD = "share", "show_examples", "feedback_good", "feedback_bad"
ACTIONS = frozenset({SHARE, EXAMPLES, GOOD, BAD})
ANSWER_CHARS = 1200  # the model's answer or the changed text, in the compact message
VALUE_CHARS = 2000  # Slack's limit on a button's value
QUESTION_IN_VALUE = 1500


@dataclass(frozen=True)
class ButtonValue:
    """What a button carries: the answer's id, and what it answered (to answer it again)."""

    answer_id: str
    question: str
    release: str


def compact_message(
    answer: Answer,
    *,
    shareable: bool,
    with_examples: bool = False,
    shared_by: str | None = None,
) -> SlackMessage:
    """The compact answer. ``shareable``: the *Share in channel* button (ephemeral answers);
    ``with_examples``: the matching examples shown (and no *Show examples* button);
    ``shared_by``: the user id of whoever shared it to the channel."""
    if not answer.covered:  # the closest sections are named in its text, not cited
        answer = answer.model_copy(update={"citations": []})
    blocks: list[Block] = [_context(f"*Q:* {escape(_shorten(answer.question, 500))}")]
    blocks.append(_section(_headline(answer)))
    if answer.release_note:  # next to the bottom line it qualifies
        blocks.append(_context(f":information_source: {_note(answer.release_note)}"))
    top = _top_quote(answer)
    if top:
        blocks.append(_section(top))
    if answer.notice:
        blocks.append(_context(f":warning: {escape(answer.notice)}"))
    more = len({c.section_id for c in answer.citations}) - 1
    tail = f" · {more} more cited section{'s' if more != 1 else ''}" if more > 0 else ""
    who = f" · shared by <@{shared_by}>" if shared_by and shared_by.isalnum() else ""
    blocks.append(
        _context(f"Model Spec release *{escape(answer.release)}* · mode: {answer.mode}{tail}{who}")
    )
    examples = (
        example_blocks(answer.examples, answer.release, answer.examples_not_shown)
        if with_examples
        else []
    )
    buttons = _buttons(answer, shareable, show_examples=bool(answer.examples) and not with_examples)
    room = MAX_BLOCKS - len(blocks) - 1
    return SlackMessage(
        text=fallback_text(answer), blocks=[*blocks, *examples[:room], _actions(buttons)]
    )


def read_value(raw: object) -> ButtonValue | None:
    """A button's value as :func:`compact_message` wrote it; None when it is not ours."""
    try:
        data = json.loads(str(raw))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields = (data.get("id"), data.get("q"), data.get("r"))
    if not all(isinstance(f, str) and f for f in fields):
        return None
    question = data["q"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return ButtonValue(answer_id=data["id"], question=question, release=data["r"])


# --- parts --------------------------------------------------------------------------------------


def _headline(answer: Answer) -> str:
    """The short answer or "not covered" first; then the bottom line, or for a model's answer its
    verdict and text; for changes, the changes."""
    lead = markdown_to_mrkdwn("\n".join(lead_markdown(answer)))
    if not answer.covered and answer.mode != "llm":
        return f"{lead}\n{no_model_mrkdwn()}"
    if not lead:
        return _summary(answer)
    if answer.mode == "llm":  # the model's verdict first, then the curated short answer
        verdict, _, rest = _summary(answer).partition("\n")
        return f"{verdict}\n{lead}\n{rest}" if answer.verdict else f"{lead}\n{_summary(answer)}"
    return f"{lead}\n{_summary(answer)}"


def _summary(answer: Answer) -> str:
    if answer.mode != "llm" and answer.bottom_line is not None:
        bottom = answer.bottom_line
        quote = shorten_escaped(" ".join(bottom_line_quote(bottom).split()), SECTION_LIMIT - 400)
        return bottom_line_mrkdwn(
            escape(bottom.section_id),
            escape(bottom.meaning),
            quote,
            answer.confidence,
            _unclear(answer),
        )
    verdict = f"*Verdict: {answer.verdict.capitalize()}*\n" if answer.verdict else ""
    pieces = split_text(markdown_to_mrkdwn(answer.answer), ANSWER_CHARS)
    text = pieces[0] + (" …" if len(pieces) > 1 else "") if pieces else ""
    return f"{verdict}{text}" or "_No section of the spec matched._"


_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")


def _note(note: str) -> str:
    """The release note in mrkdwn: a link to the diff page when it is absolute (a public URL
    is configured), else its label only."""
    parts, last = [], 0
    for link in _LINK.finditer(note):
        parts.append(markdown_to_mrkdwn(note[last : link.start()]))
        label, url = escape(link[1]), link[2]
        parts.append(
            f"<{escape(url)}|{label}>" if url.startswith(("https://", "http://")) else label
        )
        last = link.end()
    return markdown_to_mrkdwn(changed_since("")) + "".join(
        [*parts, markdown_to_mrkdwn(note[last:])]
    )


def _unclear(answer: Answer) -> str:
    """For a "low" answer, the plain statement that nothing clearly governs, and the closest."""
    if answer.confidence != "low":
        return ""
    titles = [f"*{escape(t)}*" for t in dict.fromkeys(c.title for c in answer.citations)][:3]
    return f"{unclear_statement(titles)}\n"


def _top_quote(answer: Answer) -> str | None:
    """The first cited section: its link, authority and quote (unless the bottom line is it)."""
    if not answer.citations:
        return None
    top = answer.citations[0]
    head = (
        f"*<{top.url}|{escape(top.title).replace('|', '¦')}>* `{escape(top.section_id)}` · "
        f"authority: *{escape(top.authority or 'none')}*"
    )
    quote = " ".join(top.quote.split())
    link = f" <{top.quote_url}|(in context)>" if top.quote_url else ""
    bottom = answer.bottom_line
    if not quote or (bottom is not None and " ".join(bottom.text.split()) in quote):
        # the bottom line is in this quote: not twice, and no link that highlights the rest of it
        return head
    return f"{head}\n>{shorten_escaped(quote, 1500)}{link}"


def _buttons(answer: Answer, shareable: bool, show_examples: bool) -> list[Block]:
    value = _value(answer)
    buttons = []
    if show_examples:
        buttons.append(_button(EXAMPLES, "Show examples", value))
    if shareable:
        buttons.append(_button(SHARE, "Share in channel", value, style="primary"))
    buttons.append(_button(GOOD, "👍", value))
    buttons.append(_button(BAD, "👎", value))
    return buttons


def _value(answer: Answer) -> str:
    """The button's value; the question escaped like all text we post (read_value undoes it)."""
    question = escape(answer.question[:QUESTION_IN_VALUE])
    value = json.dumps({"id": answer.id, "q": question, "r": answer.release}, ensure_ascii=False)
    while len(value) > VALUE_CHARS:  # escapes can make the JSON longer than the text
        question = question[: len(question) * 3 // 4]
        value = json.dumps(
            {"id": answer.id, "q": question, "r": answer.release}, ensure_ascii=False
        )
    return value


def _button(action_id: str, label: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _actions(buttons: list[Block]) -> Block:
    return {"type": "actions", "block_id": "answer_actions", "elements": buttons}


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def _context(mrkdwn: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": mrkdwn[:SECTION_LIMIT], "verbatim": True}],
    }


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def as_payload(message: SlackMessage) -> dict[str, Any]:
    """The message as chat.postMessage and response_url take it: no unfurls."""
    return {**message, "unfurl_links": False, "unfurl_media": False}
