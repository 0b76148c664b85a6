"""The buttons under an answer: *Show examples*, *Share in channel*, 👍 and 👎.

Slack sends a click as a ``block_actions`` payload (over HTTP form-encoded as ``payload=<JSON>``
to ``/slack/interactions``, or in a Socket Mode envelope). :func:`take_click` decides at once
whether it is ours and new (a replayed click is acknowledged but handled once);
:func:`handle_click` then does the work and replies through the click's ``response_url``:

- *Show examples* replaces the message with the same answer and its matching examples;
- *Share in channel* posts the answer to the channel (``in_channel``, naming who shared it) and
  deletes the ephemeral one;
- 👍/👎 record a rating of the answer's id with the feedback store (source ``slack``, rater the
  clicking user: their later click replaces their earlier one) and thank the user (ephemeral); a rating the store refuses (an answer it never recorded, the database
  down) is said to the user the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from server.composition.components import Components
from server.domain.schemas import Answer
from server.edge.ratings import slack_rater
from server.slack.blocks import notice_messages
from server.slack.bot import SlackBot
from server.slack.compact import (
    ACTIONS,
    BAD,
    EXAMPLES,
    GOOD,
    SHARE,
    ButtonValue,
    as_payload,
    compact_message,
    read_value,
)
from specqa.core.errors import InputError, SpecQAError

__all__ = ["THANKS", "Click", "handle_click", "take_click"]

log = logging.getLogger("specqa.slack")

THANKS = {GOOD: "Thanks! Recorded 👍 for this answer.", BAD: "Thanks! Recorded 👎 for this answer."}


@dataclass(frozen=True)
class Click:
    action: str
    value: ButtonValue
    user: str
    team: str
    response_url: str
    ephemeral: bool  # the message clicked was shown only to the user


def take_click(bot: SlackBot, payload: dict[str, Any], replay_key: str) -> Click | None:
    """The click to handle, or None: not a button of ours, or already taken."""
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(action, dict) or action.get("action_id") not in ACTIONS:
        return None
    value = read_value(action.get("value"))
    response_url = str(payload.get("response_url") or "")
    if value is None or urlsplit(response_url).scheme not in ("http", "https"):
        return None
    user, team = _object(payload.get("user")), _object(payload.get("team"))
    container = payload.get("container")
    if not bot.first_time(replay_key):
        log.info("slack click already taken")
        return None
    return Click(
        action=str(action["action_id"]),
        value=value,
        user=str(user.get("id") or ""),
        team=str(user.get("team_id") or team.get("id") or ""),
        response_url=response_url,
        ephemeral=isinstance(container, dict) and bool(container.get("is_ephemeral")),
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def handle_click(bot: SlackBot, components: Components, click: Click) -> None:
    try:
        if click.action in (GOOD, BAD):
            _tell(bot, click, _feedback(components, click))
        elif click.action == EXAMPLES:
            answer = _recall(bot, components, click.value)
            message = compact_message(answer, shareable=click.ephemeral, with_examples=True)
            bot.respond(click.response_url, {"replace_original": True, **as_payload(message)})
        elif click.action == SHARE:
            answer = _recall(bot, components, click.value)
            message = compact_message(answer, shareable=False, shared_by=click.user or None)
            shared = {"response_type": "in_channel", "replace_original": False}
            if bot.respond(click.response_url, {**shared, **as_payload(message)}):
                bot.respond(click.response_url, {"delete_original": True})
    except SpecQAError as exc:
        _tell(bot, click, f"Sorry, I could not do that: {exc.public_message}")
    except Exception:
        log.exception("handling a Slack click failed")
        _tell(bot, click, "Sorry, something went wrong; please try again.")


def _recall(bot: SlackBot, components: Components, value: ButtonValue) -> Answer:
    return bot.recall(components.service, value.answer_id, value.question, value.release)


def _feedback(components: Components, click: Click) -> str:
    if not click.user:
        raise InputError("Slack did not say who clicked")
    rating = "up" if click.action == GOOD else "down"
    rater = slack_rater(click.team, click.user)
    components.feedback.add(click.value.answer_id, rating, source="slack", rater=rater)
    return THANKS[click.action]


def _tell(bot: SlackBot, click: Click, text: str) -> None:
    """A short ephemeral note to whoever clicked, under the message."""
    note = notice_messages(text)[0]
    body = {"response_type": "ephemeral", "replace_original": False, **as_payload(note)}
    bot.respond(click.response_url, body)
