"""The Slack bot: signed webhooks in (`bot`), Block Kit answers out (`blocks`)."""

from server.slack.blocks import answer_messages, escape, split_text
from server.slack.bot import build_router

__all__ = ["answer_messages", "build_router", "escape", "split_text"]
