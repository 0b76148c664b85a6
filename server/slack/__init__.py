"""The Slack bot: signed webhooks (`routes`) or Socket Mode (`socket_mode`) in, the same handling
(`bot`, `interactions`), compact Block Kit answers out (`compact`, `blocks`)."""

from server.slack.blocks import escape, split_text
from server.slack.bot import SlackBot
from server.slack.compact import compact_message
from server.slack.routes import build_router
from server.slack.socket_mode import socket_mode

__all__ = [
    "SlackBot",
    "build_router",
    "compact_message",
    "escape",
    "socket_mode",
    "split_text",
]
