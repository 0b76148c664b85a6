"""The app factory. ``create_app(settings)`` builds everything in the lifespan; tests may pass
ready-made ``components`` (their own model, store or LLM endpoint)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from threadpoolctl import threadpool_limits
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.chat import router as chat
from server.composition.components import Components, build_components
from server.composition.warmup import ReleaseWarmup
from server.domain.feedback.records import Feedback
from server.domain.schemas import Answer
from server.edge.errors import ERROR_RESPONSES, install_error_handlers
from server.edge.observability import Metrics, RequestMiddleware
from server.edge.shared_state import build_shared_state
from server.mcp.endpoint import MCP_PATHS, mount_mcp
from server.rest import audit, feedback, health, routes
from server.settings import Settings
from server.slack.bot import SlackBot
from server.slack.routes import build_router as slack_router
from server.slack.socket_mode import socket_mode
from server.web import diff_page
from server.web import feedback as page_feedback
from server.web import page as web
from specqa.core.errors import SpecQAError
from specqa.core.logs import get_logger

__all__ = ["create_app"]

log = get_logger(__name__)
# the routes whose body is a whole conversation (SPECQA_MAX_CONVERSATION_BODY_BYTES)
CONVERSATION_PATHS = frozenset({"/v1/chat/completions", "/v1/answer", *MCP_PATHS})


def create_app(settings: Settings, components: Components | None = None) -> FastAPI:
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Requests are answered side by side in threads, each with small matrix products: BLAS's
        # own threads on top oversubscribe the cores and throughput collapses under concurrency
        # (32 clients on 2 cores: 11 req/s with them, 36 without).
        threadpool_limits(limits=1, user_api="blas")
        parts = components or build_components(settings)
        count_answer = partial(_count, metrics)
        count_feedback = partial(_count_feedback, metrics)
        # The server keeps each answer it gives (off the answer's path), so feedback can name it.
        recorder = parts.feedback.recorder
        parts.service.observers.extend([count_answer, recorder.submit])
        recorder.drop_listeners.append(metrics.answers_unrecorded.inc)
        parts.feedback.listeners.append(count_feedback)
        try:
            parts.corpus()  # open the index now, not on the first request
        except SpecQAError as exc:
            log.error("index not ready: %s", exc.message)
        app.state.components = parts
        warming = ReleaseWarmup(parts.corpus) if settings.http.warm_releases else None
        app.state.release_warmup = warming
        if not settings.http.api_keys:
            log.warning(
                "no SPECQA_API_KEYS set: the API is open to anyone who can reach %s",
                settings.http.bind_host,
            )
        try:
            async with mcp_endpoint.running(), socket_mode(slack_bot, parts):
                yield  # the MCP transport's sessions and Slack's Socket Mode live with the app
        finally:  # components can outlive this app (tests share them): stop counting for it
            if warming is not None:
                warming.stop()
            parts.service.observers.remove(count_answer)
            parts.service.observers.remove(recorder.submit)
            recorder.drop_listeners.remove(metrics.answers_unrecorded.inc)
            recorder.close()  # what is queued is written (briefly waited for)
            parts.feedback.listeners.remove(count_feedback)

    app = FastAPI(
        title="specqa",
        version="0.1.0",
        description="Ask questions of OpenAI's Model Spec: cited sections, labelled examples, release diffs.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.shared = shared = build_shared_state(settings)
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body_bytes=settings.http.max_body_bytes,
        max_header_bytes=settings.http.max_header_bytes,
        conversation_paths=CONVERSATION_PATHS,
        jsonrpc_paths=frozenset(MCP_PATHS),
        max_conversation_body_bytes=settings.http.max_conversation_body_bytes,
    )
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.http.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if settings.http.trusted_proxies:  # outermost: the client address is settled before anything
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.http.trusted_proxies)
    install_error_handlers(app)
    slack_bot = SlackBot(settings.slack, shared.replays, metrics)
    slack = slack_router(slack_bot)
    routers = (health.router, routes.router, audit.router, feedback.router, chat.router, slack)
    for router in (*routers, diff_page.router, page_feedback.router, web.router):
        app.include_router(router)
    mcp_endpoint = mount_mcp(app, settings, settings.mcp)
    _declare_question_limit(app, settings.answers.max_question_chars)
    return app


def _declare_question_limit(app: FastAPI, limit: int) -> None:
    """OpenAPI with the question fields' bounds as configured (not the most a deployment may
    configure), made on the first request for it: making it takes about half a second."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = routes.declare_question_limit(generate(), limit)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _count(metrics: Metrics, answer: Answer) -> None:
    metrics.answers.labels(answer.mode).inc()
    if answer.fallback:
        metrics.llm_fallbacks.inc()


def _count_feedback(metrics: Metrics, record: Feedback) -> None:
    metrics.feedback.labels(record.rating).inc()
