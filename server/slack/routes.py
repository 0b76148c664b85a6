"""Slack over HTTP: ``POST /slack/commands`` (``/spec``), ``POST /slack/events`` (``app_mention``,
``message.im``, the ``url_verification`` challenge) and ``POST /slack/interactions`` (the buttons).

Each request is verified over its raw body (v0 HMAC-SHA256 of ``v0:{timestamp}:{body}``, at most
five minutes old) before anything is parsed; a failure is a 401 and nothing else happens. The
signature needs the body, so the body is read first, but only after the signature headers are
there and fresh (else 401 unread), and only within the body deadline and size limit every route
has (``SPECQA_BODY_TIMEOUT_S``, ``SPECQA_MAX_BODY_BYTES``). Slack
wants a 200 within three seconds, so the routes only check and ack; the work runs in a background
task (see :mod:`server.slack.bot`).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from server.edge.deps import get_components
from server.slack.bot import SlackBot
from server.slack.interactions import handle_click, take_click

__all__ = ["build_router"]

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only; Slack sends Unix seconds
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
MAX_AGE_S = 300  # as the SDK's verifier: older (or later) timestamps are replays


def build_router(bot: SlackBot) -> APIRouter:
    """The Slack routes. They are signed by Slack, so they sit outside the bearer auth."""
    secret = bot.settings.signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret else None
    router = APIRouter(prefix="/slack", tags=["slack"], include_in_schema=False)

    async def verified_body(request: Request) -> str:
        """The raw body as text when Slack signed it; otherwise 404 (Slack off) or 401."""
        if verifier is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Slack is not configured")
        if _signature_headers(request.headers) is None:  # refused before its body is read
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid Slack signature")
        text = _signed_text(verifier, await request.body(), request.headers)
        if text is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid Slack signature")
        return text

    def replay_key(kind: str, request: Request) -> str:
        # Slack signs each request with its own timestamp: a replay carries the same signature.
        return f"{kind}:{request.headers.get('x-slack-signature', '')}"

    @router.post("/commands")
    async def commands(request: Request, background: BackgroundTasks) -> JSONResponse:
        form = _form(await verified_body(request))
        service = get_components(request).service
        ack, job = await run_in_threadpool(  # the replay check may be a Redis call
            bot.take_command, form, replay_key("command", request), service
        )
        if job is not None:
            background.add_task(job)
        return JSONResponse(ack)

    @router.post("/events")
    async def events(request: Request, background: BackgroundTasks) -> JSONResponse:
        payload = _json_object(await verified_body(request))
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

    @router.post("/interactions")
    async def interactions(request: Request, background: BackgroundTasks) -> Response:
        payload = _json_object(_form(await verified_body(request)).get("payload", ""))
        components = get_components(request)
        click = await run_in_threadpool(
            take_click, bot, payload, replay_key("interaction", request)
        )
        if click is not None:
            background.add_task(handle_click, bot, components, click)
        return Response(status_code=status.HTTP_200_OK)

    return router


def _signed_text(verifier: SignatureVerifier, body: bytes, headers: Headers) -> str | None:
    """The body decoded when the headers carry a valid, fresh signature of it; else None.

    The checks before the HMAC keep odd input (non-numeric or huge timestamps, non-ASCII
    signatures, non-UTF-8 bodies) from raising inside the SDK.
    """
    signed = _signature_headers(headers)
    if signed is None:
        return None
    timestamp, signature = signed
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if verifier.is_valid(body=text, timestamp=timestamp, signature=signature) else None


def _signature_headers(headers: Headers) -> tuple[str, str] | None:
    """The timestamp and signature when both are well formed and the timestamp is fresh (what
    can be checked without the body); else None."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return None
    if abs(time.time() - int(timestamp)) > MAX_AGE_S:
        return None
    return timestamp, signature


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
