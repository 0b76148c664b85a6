"""Slack over Socket Mode, for workspaces where Slack cannot reach the server over HTTPS.

With ``SPECQA_SLACK_APP_TOKEN`` (an app-level ``xapp-`` token with ``connections:write``) set, the
app's lifespan opens slack_sdk's :class:`~slack_sdk.socket_mode.SocketModeClient`: it asks
``apps.connections.open`` for a websocket URL and receives the same slash commands, events and
button clicks as the HTTP routes, each in an envelope. Every envelope is acknowledged at once
(a slash command's ack carries the ephemeral "Looking that up…"), then handled exactly as over
HTTP by :class:`~server.slack.bot.SlackBot`. Slack does not sign envelopes: the websocket itself
is authenticated by the app token. The envelope id is the replay key of a command or a click.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from server.composition.components import Components
from server.slack.bot import SlackBot
from server.slack.interactions import handle_click, take_click
from specqa.core.errors import SpecQAError

__all__ = ["SocketMode", "socket_mode"]

log = logging.getLogger("specqa.slack")


class SocketMode:
    """One Socket Mode connection feeding ``bot`` (slack_sdk reconnects it when it drops)."""

    def __init__(self, bot: SlackBot, components: Components, app_token: str) -> None:
        self.bot = bot
        self.components = components
        web = WebClient(base_url=bot.settings.api_url)  # apps.connections.open only
        self.client = SocketModeClient(app_token=app_token, web_client=web, logger=log)
        self.client.socket_mode_request_listeners.append(self._on_request)

    def connect(self) -> None:
        self.client.connect()

    def close(self) -> None:
        self.client.close()

    def _on_request(self, client: Any, request: SocketModeRequest) -> None:
        """One envelope: ack it, then do the work (on the client's worker threads)."""
        payload = request.payload if isinstance(request.payload, dict) else {}
        ack: dict[str, Any] | None = None
        work = None
        try:
            if request.type == "slash_commands":
                key = f"envelope:{request.envelope_id}"
                ack, work = self.bot.take_command(payload, key, self.components.service)
            elif request.type == "events_api":
                job = self.bot.take_event(payload, request.retry_attempt)
                if job is not None:
                    service = self.components.service
                    work = lambda: self.bot.answer_in_thread(service, job)  # noqa: E731
            elif request.type == "interactive":
                click = take_click(self.bot, payload, f"envelope:{request.envelope_id}")
                if click is not None:
                    work = lambda: handle_click(self.bot, self.components, click)  # noqa: E731
        except SpecQAError as exc:  # e.g. a command without a response_url: acked, not answered
            log.warning("slack envelope refused: %s", exc.message)
        client.send_socket_mode_response(SocketModeResponse(request.envelope_id, ack))
        if work is not None:
            work()


@asynccontextmanager
async def socket_mode(bot: SlackBot, components: Components) -> AsyncIterator[None]:
    """Receive Slack over Socket Mode while the app runs, when an app token is set. A connection
    that cannot be opened is logged and the server runs on (the HTTP routes still work)."""
    token = bot.settings.app_token
    if token is None:
        yield
        return
    runner = SocketMode(bot, components, token.get_secret_value())
    try:
        await asyncio.to_thread(runner.connect)
        log.info("Slack Socket Mode connected")
    except (OSError, SlackApiError, SlackClientError) as exc:
        log.error("Slack Socket Mode could not connect: %s", exc)
    try:
        yield
    finally:
        await asyncio.to_thread(runner.close)
