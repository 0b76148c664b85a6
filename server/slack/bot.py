"""What the bot does with a slash command, an event or a button click, whichever way it came.

The HTTP routes (:mod:`server.slack.routes`) and Socket Mode (:mod:`server.slack.socket_mode`) both
verify or unwrap what Slack sent, then call :meth:`SlackBot.take_command`,
:meth:`SlackBot.take_event` or :func:`server.slack.interactions.take_click`: those decide at once
(within Slack's three seconds) what to acknowledge and whether there is work, and never answer.
The work (answering with the one :class:`~server.domain.answering.service.AnsweringService`, then posting)
runs afterwards: a slash command's answer goes to its ``response_url`` as an ephemeral compact
message; a mention's or a DM's goes in its thread with ``chat.postMessage``, and a follow-up in a
thread is answered with the thread's earlier questions as history (``conversations.replies``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from server.domain.answering.service import AnsweringService
from server.domain.schemas import Answer
from server.edge.observability import Metrics
from server.edge.shared_state import ReplayCache
from server.slack.blocks import SlackMessage, notice_messages
from server.slack.compact import as_payload, compact_message
from server.slack.settings import SlackSettings
from specqa.core.errors import InputError, SpecQAError

__all__ = ["HELP_WORDS", "USAGE", "WORKING", "AnswerMemory", "SlackBot", "ThreadJob", "slack_text"]

log = logging.getLogger("specqa.slack")

_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
USAGE = (
    "Ask me about OpenAI's Model Spec and I answer with the sections that govern it and the "
    "labelled examples.\n"
    "• `/spec should the model reveal its system prompt?`: a cited answer, shown only to you "
    "(*Share in channel* posts it)\n"
    "• `/spec what changed between the October and December 2025 releases?`: a release diff\n"
    "• `/spec when did guidance on under-18 users appear?`: a section's history\n"
    "• `/spec help`: this message\n"
    "In a channel, mention me with the question; in a DM, just ask. I answer in the thread, and "
    "a follow-up in that thread takes the earlier questions into account. "
    "*Show examples* adds the labelled examples; 👍/👎 tell the team whether the answer helped."
)
HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})
WORKING = "Looking that up in the Model Spec…"
MAX_HISTORY = 5  # earlier questions of a thread passed to the answering service
HISTORY_CHARS = 500
THREAD_FETCH = 100  # messages of a thread read at most


@dataclass(frozen=True)
class ThreadJob:
    channel: str
    thread_ts: str  # the thread the answer goes in
    ts: str  # the message asked in it
    question: str
    direct: bool  # a DM: every message is addressed to the bot
    bot_users: frozenset[str]


class AnswerMemory:
    """The answers posted lately, by id, so that a button finds the answer it sits under. Bounded;
    a replica that does not remember an answer answers its question again."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, answer: Answer) -> Answer:
        with self._lock:
            self._answers[answer.id] = answer
            self._answers.move_to_end(answer.id)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            return self._answers.get(answer_id)


class SlackBot:
    def __init__(self, settings: SlackSettings, seen: ReplayCache, metrics: Metrics) -> None:
        token = settings.bot_token
        self.settings = settings
        self.web = (
            WebClient(token=token.get_secret_value(), base_url=settings.api_url) if token else None
        )
        self.seen = seen  # in process, or in Redis shared by every replica
        self.metrics = metrics
        self.answers = AnswerMemory()

    def first_time(self, *keys: str) -> bool:
        """Take ``keys``; False (and counted) when a replica took any of them before."""
        if self.seen.first_time(*keys):
            return True
        self.metrics.slack_replays.inc()
        return False

    # --- slash commands ---------------------------------------------------------------------
    def take_command(
        self, form: dict[str, Any], replay_key: str, service: AnsweringService
    ) -> tuple[dict[str, Any], Callable[[], None] | None]:
        """The ephemeral ack for ``/spec``, and the work to do after it (None: nothing)."""
        question = slack_text(str(form.get("text") or "")).strip()
        response_url = str(form.get("response_url") or "")
        if urlsplit(response_url).scheme not in ("http", "https"):
            raise InputError("missing response_url")
        if not question or question.lower() in HELP_WORDS:
            return _ephemeral(USAGE), None
        if not self.first_time(replay_key):
            log.info("slack command already taken")
            return _ephemeral(WORKING), None
        try:
            question = service.validate_question(question)
        except SpecQAError as exc:
            return _ephemeral(exc.message), None
        return _ephemeral(WORKING), lambda: self.answer_command(service, question, response_url)

    def answer_command(self, service: AnsweringService, question: str, response_url: str) -> None:
        answer = self._answer(service, question, [])
        message = (
            compact_message(answer, shareable=True)
            if isinstance(answer, Answer)
            else notice_messages(answer)[0]
        )
        self.respond(response_url, {"response_type": "ephemeral", **as_payload(message)})

    def respond(self, response_url: str, body: dict[str, Any]) -> bool:
        """POST ``body`` to a ``response_url``; False (logged) when that failed."""
        try:
            response = WebhookClient(response_url, timeout=10).send_dict(body)
        except (OSError, SlackClientError) as exc:
            log.error("could not post to response_url: %s", exc)
            return False
        if response.status_code != 200:
            log.error("response_url refused the post: %s %s", response.status_code, response.body)
            return False
        return True

    # --- events -----------------------------------------------------------------------------
    def take_event(self, payload: dict[str, Any], retry: object = None) -> ThreadJob | None:
        """The question to answer, or None: not for us, from a bot, or already taken."""
        event = payload.get("event")
        bot_users = _bot_users(payload)
        if not isinstance(event, dict) or not _addressed_to_us(event, bot_users):
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
            ts=ts,
            question=slack_text(_strip_mentions(str(event.get("text") or ""), bot_users)),
            direct=event.get("type") == "message",
            bot_users=frozenset(bot_users),
        )

    def answer_in_thread(self, service: AnsweringService, job: ThreadJob) -> None:
        if self.web is None:
            log.warning("no SPECQA_SLACK_BOT_TOKEN set: cannot answer a Slack mention")
            return
        if not job.question or job.question.lower() in HELP_WORDS:
            message = notice_messages(USAGE)[0]
        else:
            history = self.thread_questions(job) if job.thread_ts != job.ts else []
            answer = self._answer(service, job.question, history)
            message = (
                compact_message(answer, shareable=False)
                if isinstance(answer, Answer)
                else notice_messages(answer)[0]
            )
        self.post(job.channel, job.thread_ts, message)

    def post(self, channel: str, thread_ts: str | None, message: SlackMessage) -> None:
        if self.web is None:
            log.warning("no SPECQA_SLACK_BOT_TOKEN set: cannot post to Slack")
            return
        try:
            self.web.chat_postMessage(channel=channel, thread_ts=thread_ts, **as_payload(message))
        except (OSError, SlackApiError, SlackClientError) as exc:
            log.error("chat.postMessage failed: %s", exc)

    def thread_questions(self, job: ThreadJob) -> list[str]:
        """The questions people asked the bot earlier in ``job``'s thread, oldest first."""
        assert self.web is not None
        try:
            reply = self.web.conversations_replies(
                channel=job.channel, ts=job.thread_ts, limit=THREAD_FETCH
            )
        except (OSError, SlackApiError, SlackClientError) as exc:  # e.g. missing_scope
            log.warning("conversations.replies failed, answering without the thread: %s", exc)
            return []
        messages = reply.get("messages")
        questions = []
        for message in messages if isinstance(messages, list) else []:
            if not isinstance(message, dict) or not _earlier(message.get("ts"), job.ts):
                continue
            if message.get("subtype") or message.get("bot_id") or message.get("bot_profile"):
                continue
            if not isinstance(message.get("user"), str) or message["user"] in job.bot_users:
                continue
            text = str(message.get("text") or "")
            if not job.direct and not _mentions(text, job.bot_users):
                continue
            question = slack_text(_strip_mentions(text, set(job.bot_users)))
            if question and question.lower() not in HELP_WORDS:
                questions.append(question[:HISTORY_CHARS])
        return questions[-MAX_HISTORY:]

    # --- answering --------------------------------------------------------------------------
    def _answer(self, service: AnsweringService, question: str, history: list[str]) -> Answer | str:
        """The answer (remembered for its buttons), or what to say instead."""
        try:
            return self.answers.keep(service.answer(question, history=history or None))
        except SpecQAError as exc:
            return f"Sorry, I could not answer that: {exc.message}"
        except Exception:
            log.exception("answering a Slack question failed")
            return "Sorry, something went wrong while answering; please try again."

    def recall(
        self, service: AnsweringService, answer_id: str, question: str, release: str
    ) -> Answer:
        """The answer ``answer_id``: remembered, or answered again under the same id."""
        known = self.answers.get(answer_id)
        if known is not None:
            return known
        again = service.answer(question, release=release)
        return self.answers.keep(again.model_copy(update={"id": answer_id}))


# --- helpers ------------------------------------------------------------------------------------


def slack_text(text: str) -> str:
    """Slack's message text with its three entities (``&amp;``, ``&lt;``, ``&gt;``) turned back
    into characters, so that escaping on the way out does not double them."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


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


def _strip_mentions(text: str, bot_users: set[str] | frozenset[str]) -> str:
    """The question without the mention that addressed it (the first one, when we do not know
    our own user id)."""
    text = text.strip()
    if bot_users:
        return _MENTION.sub(lambda m: "" if m[1] in bot_users else m[0], text).strip()
    return _MENTION.sub("", text, count=1).strip() if text.startswith("<@") else text


def _mentions(text: str, bot_users: frozenset[str]) -> bool:
    found = {m[1] for m in _MENTION.finditer(text)}
    return bool(found & bot_users) if bot_users else text.lstrip().startswith("<@")


def _earlier(ts: object, than: str) -> bool:
    """Slack timestamps ("seconds.micros") compared as numbers."""
    try:
        return isinstance(ts, str) and float(ts) < float(than)
    except ValueError:
        return False
