"""Slack routes: ``POST /slack/commands`` (the ``/spec`` slash command) and ``POST /slack/events``
(``app_mention`` in channels, ``message.im`` in DMs, the ``url_verification`` challenge).

Each request is verified over its raw body (v0 HMAC-SHA256 of ``v0:{timestamp}:{body}``, at most
five minutes old) before anything is parsed; a failure is a 401 and nothing else happens. Slack
wants a 200 within three seconds, so the routes only check and ack; the answer is computed by the
one :class:`~server.domain.service.AnsweringService` in a background task and posted to the command's
``response_url`` or with ``chat.postMessage`` in the mention's thread.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, status
from fastapi.responses import JSONResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from server.domain.service import AnsweringService
from server.edge.deps import get_components
from server.edge.observability import Metrics
from server.edge.shared_state import ReplayCache
from server.slack.blocks import SlackMessage, answer_messages, notice_messages
from specqa.core.errors import SpecQAError
from specqa.core.settings import Settings

__all__ = ["SlackBot", "build_router", "slack_text"]

log = logging.getLogger("specqa.slack")

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only; Slack sends Unix seconds
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
USAGE = (
    "Ask me about OpenAI's Model Spec and I answer with the sections that govern it and the "
    "labelled examples.\n"
    "• `/spec should the model reveal its system prompt?`: a cited answer\n"
    "• `/spec what changed between the October and December 2025 releases?`: a release diff\n"
    "• `/spec when did guidance on under-18 users appear?`: a section's history\n"
    "• `/spec help`: this message\n"
    "In a channel, mention me with the question; in a DM, just ask."
)
HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})
WORKING = "Looking that up in the Model Spec…"
MAX_RESPONSE_URL_POSTS = 5  # Slack accepts five messages per response_url


@dataclass(frozen=True)
class ThreadJob:
    channel: str
    thread_ts: str
    question: str


class SlackBot:
    def __init__(self, settings: Settings, seen: ReplayCache, metrics: Metrics) -> None:
        secret = settings.slack_signing_secret
        token = settings.slack_bot_token
        self.verifier = SignatureVerifier(secret.get_secret_value()) if secret else None
        self.web = (
            WebClient(token=token.get_secret_value(), base_url=settings.slack_api_url)
            if token
            else None
        )
        self.seen = seen  # in process, or in Redis shared by every replica
        self.metrics = metrics

    # --- verification -----------------------------------------------------------------------
    async def verified_body(self, request: Request) -> str:
        """The raw body as text when Slack signed it; otherwise 404 (Slack off) or 401."""
        if self.verifier is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Slack is not configured")
        body = await request.body()
        text = _signed_text(self.verifier, body, request.headers)
        if text is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid Slack signature")
        return text

    # --- events -----------------------------------------------------------------------------
    def take_event(self, payload: dict[str, Any], retry: str | None) -> ThreadJob | None:
        """The question to answer, or None: not for us, from a bot, or already taken."""
        event = payload.get("event")
        if not isinstance(event, dict) or not _addressed_to_us(event, _bot_users(payload)):
            return None
        channel, ts = event.get("channel"), event.get("ts")
        if not isinstance(channel, str) or not isinstance(ts, str):
            return None
        keys = [f"msg:{channel}:{ts}"]
        if isinstance(payload.get("event_id"), str):
            keys.append(f"event:{payload['event_id']}")
        if not self.first_time(*keys):
            log.info("slack event already taken", extra={"fields": {"retry": retry}})
            return None
        thread_ts = event.get("thread_ts")
        return ThreadJob(
            channel=channel,
            thread_ts=thread_ts if isinstance(thread_ts, str) else ts,
            question=slack_text(_strip_mentions(str(event.get("text") or ""), _bot_users(payload))),
        )

    def first_time(self, *keys: str) -> bool:
        """Take ``keys``; False (and counted) when a replica took any of them before."""
        if self.seen.first_time(*keys):
            return True
        self.metrics.slack_replays.inc()
        return False

    # --- delivery (background) --------------------------------------------------------------
    def answer_command(self, service: AnsweringService, question: str, response_url: str) -> None:
        messages = _compose(service, question)[:MAX_RESPONSE_URL_POSTS]
        webhook = WebhookClient(response_url, timeout=10)
        for message in messages:
            try:
                response = webhook.send(
                    response_type="in_channel",
                    text=message["text"],
                    blocks=message["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except (OSError, SlackClientError) as exc:
                log.error("could not post to response_url: %s", exc)
                return
            if response.status_code != 200:
                log.error(
                    "response_url refused the answer: %s %s", response.status_code, response.body
                )
                return

    def answer_in_thread(self, service: AnsweringService, job: ThreadJob) -> None:
        if self.web is None:
            log.warning("no SPECQA_SLACK_BOT_TOKEN set: cannot answer a Slack mention")
            return
        wants_help = not job.question or job.question.lower() in HELP_WORDS
        messages = notice_messages(USAGE) if wants_help else _compose(service, job.question)
        for message in messages:
            try:
                self.web.chat_postMessage(
                    channel=job.channel,
                    thread_ts=job.thread_ts,
                    text=message["text"],
                    blocks=message["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except (OSError, SlackApiError, SlackClientError) as exc:
                log.error("chat.postMessage failed: %s", exc)
                return


def build_router(settings: Settings, seen: ReplayCache, metrics: Metrics) -> APIRouter:
    """The Slack routes. They are signed by Slack, so they sit outside the bearer auth."""
    bot = SlackBot(settings, seen, metrics)
    router = APIRouter(prefix="/slack", tags=["slack"], include_in_schema=False)

    @router.post("/commands")
    async def commands(request: Request, background: BackgroundTasks) -> JSONResponse:
        form = _form(await bot.verified_body(request))
        question = slack_text(form.get("text", "")).strip()
        response_url = form.get("response_url", "")
        if urlsplit(response_url).scheme not in ("http", "https"):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="missing response_url")
        if not question or question.lower() in HELP_WORDS:
            return _ephemeral(USAGE)
        service = get_components(request).service
        # Slack signs each command with its own timestamp: a replay carries the same signature.
        replay_key = f"command:{request.headers.get('x-slack-signature', '')}"
        if not await run_in_threadpool(bot.first_time, replay_key):  # Redis is a network call
            log.info("slack command already taken")
            return _ephemeral(WORKING)
        try:
            question = service.validate_question(question)
        except SpecQAError as exc:
            return _ephemeral(exc.message)
        background.add_task(bot.answer_command, service, question, response_url)
        return _ephemeral(WORKING)

    @router.post("/events")
    async def events(request: Request, background: BackgroundTasks) -> JSONResponse:
        payload = _json_object(await bot.verified_body(request))
        if payload.get("type") == "url_verification":
            return JSONResponse({"challenge": str(payload.get("challenge", ""))})
        if payload.get("type") != "event_callback":
            return JSONResponse({})
        service = get_components(request).service  # before taking the event: 503 lets Slack retry
        job = await run_in_threadpool(
            bot.take_event, payload, request.headers.get("x-slack-retry-num")
        )
        if job is not None:
            background.add_task(bot.answer_in_thread, service, job)
        return JSONResponse({})

    return router


# --- helpers ------------------------------------------------------------------------------------


def _signed_text(verifier: SignatureVerifier, body: bytes, headers: Headers) -> str | None:
    """The body decoded when the headers carry a valid, fresh signature of it; else None.

    The checks before the HMAC keep odd input (non-numeric or huge timestamps, non-ASCII
    signatures, non-UTF-8 bodies) from raising inside the SDK.
    """
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if verifier.is_valid(body=text, timestamp=timestamp, signature=signature) else None


def _form(text: str) -> dict[str, str]:
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=50)
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="malformed form body") from None
    return {name: values[0] for name, values in fields.items()}


def _json_object(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
        payload = None
    if not isinstance(payload, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="expected a JSON object")
    return payload


def slack_text(text: str) -> str:
    """Slack's message text with its three entities (``&amp;``, ``&lt;``, ``&gt;``) turned back
    into characters, so that escaping on the way out does not double them."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _ephemeral(text: str) -> JSONResponse:
    return JSONResponse({"response_type": "ephemeral", "text": text})


def _bot_users(payload: dict[str, Any]) -> set[str]:
    """The app's own bot user ids, as Slack lists them in the event's ``authorizations``."""
    authorizations = payload.get("authorizations")
    if not isinstance(authorizations, list):
        return set()
    return {
        str(a["user_id"])
        for a in authorizations
        if isinstance(a, dict) and a.get("is_bot") and a.get("user_id")
    }


def _addressed_to_us(event: dict[str, Any], bot_users: set[str]) -> bool:
    """A mention in a channel or a direct message, written by a person (not a bot, not an edit)."""
    kind = event.get("type")
    if kind != "app_mention" and not (kind == "message" and event.get("channel_type") == "im"):
        return False
    if event.get("subtype") or event.get("bot_id") or event.get("bot_profile"):
        return False
    return isinstance(event.get("user"), str) and event["user"] not in bot_users


def _strip_mentions(text: str, bot_users: set[str]) -> str:
    """The question without the mention that addressed it (the first one, when we do not know
    our own user id)."""
    text = text.strip()
    if bot_users:
        return _MENTION.sub(lambda m: "" if m[1] in bot_users else m[0], text).strip()
    return _MENTION.sub("", text, count=1).strip() if text.startswith("<@") else text


def _compose(service: AnsweringService, question: str) -> list[SlackMessage]:
    try:
        return answer_messages(service.answer(question))
    except SpecQAError as exc:
        return notice_messages(f"Sorry, I could not answer that: {exc.message}")
    except Exception:
        log.exception("answering a Slack question failed")
        return notice_messages("Sorry, something went wrong while answering; please try again.")
