"""Request ids, JSON access logs, Prometheus metrics, and the request body limit (one middleware)."""

from __future__ import annotations

import logging
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.edge.errors import error_response
from specqa.core.logs import REQUEST_ID

__all__ = ["Metrics", "RequestMiddleware"]

log = logging.getLogger("specqa.access")


class Metrics:
    """One registry per app, so several apps (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "specqa_requests_total",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "specqa_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.answers = Counter(
            "specqa_answers_total", "Answers by mode", ["mode"], registry=self.registry
        )
        self.audits = Counter(
            "specqa_audits_total",
            "Conversations audited (not answers), by judge: none or llm",
            ["judge"],
            registry=self.registry,
        )
        self.llm_fallbacks = Counter(
            "specqa_llm_fallbacks_total",
            "LLM answers that fell back to extractive",
            registry=self.registry,
        )
        self.feedback = Counter(
            "specqa_feedback_total",
            "Feedback on answers by rating (up, down), from every surface",
            ["rating"],
            registry=self.registry,
        )
        for rating in ("up", "down"):
            self.feedback.labels(rating)  # shown as 0 before the first
        self.answers_unrecorded = Counter(
            "specqa_answers_unrecorded_total",
            "Answers not recorded for feedback: the recording queue was full (database slow or hung)",
            registry=self.registry,
        )
        self.slack_replays = Counter(
            "specqa_slack_replays_total",
            "Slack events and commands not answered because they were already taken",
            registry=self.registry,
        )


class RequestMiddleware:
    """Pure ASGI (so streaming responses are not buffered): request id, body limit, metrics, log.

    A body over the limit is refused with 413 here, whether or not it announced its length (a
    chunked body is counted as it arrives; the app then sees a disconnect and its reply is
    dropped). An exception escaping the app becomes a logged, counted 500 JSON reply that carries
    the request id, like every other reply.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body_bytes: int,
        max_header_bytes: int,
        conversation_paths: frozenset[str] = frozenset(),
        max_conversation_body_bytes: int | None = None,
        jsonrpc_paths: frozenset[str] = frozenset(),
    ) -> None:
        """``conversation_paths`` take bodies up to ``max_conversation_body_bytes``: a chat
        client resends the whole conversation, whose earlier turns are trimmed, not refused;
        ``jsonrpc_paths`` are refused in bodies that are also JSON-RPC errors (``/mcp``)."""
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.max_head = max_header_bytes
        self.conversation_paths = conversation_paths
        self.max_conversation = max_conversation_body_bytes or max_body_bytes
        self.jsonrpc_paths = jsonrpc_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id
        REQUEST_ID.set(request_id)  # domain log lines carry it (answer threads inherit it)
        started = time.perf_counter()
        path = scope.get("path", "")
        max_body = self.max_conversation if path in self.conversation_paths else self.max_body
        exchange = _Exchange(send, request_id, max_body, jsonrpc=path in self.jsonrpc_paths)
        length = headers.get(b"content-length")
        if _head_size(scope) > self.max_head:
            await exchange.reply(
                431, "headers_too_large", f"request headers larger than {self.max_head} bytes"
            )
        elif length is not None and (not length.isdigit() or int(length) > max_body):
            await exchange.refuse_too_large()
        else:
            try:
                await self.app(scope, exchange.limited(receive), exchange.send)
            except Exception:  # noqa: BLE001 - the edge: whatever escapes becomes a logged 500
                await self._fail(scope, exchange, request_id)
        self._record(scope, exchange.status, started, request_id)

    async def _fail(self, scope: Scope, exchange: _Exchange, request_id: str) -> None:
        if exchange.too_large:
            return  # the 413 is out; the app only stumbled over the cut-off body
        log.exception(
            "unhandled error",
            extra={"fields": {"request_id": request_id, "path": scope.get("path", "")}},
        )
        if not exchange.started:
            await exchange.reply(
                500, "internal_error", f"internal server error (request id {request_id})"
            )
        else:
            exchange.status = 500

    def _record(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        elapsed = time.perf_counter() - started
        self.metrics.requests.labels(path, scope["method"], str(status)).inc()
        self.metrics.latency.labels(path).observe(elapsed)
        log.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "request",
            extra={
                "fields": {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": path,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                }
            },
        )


def _head_size(scope: Scope) -> int:
    """The request line and headers as sent, give or take the line ends."""
    headers = scope.get("headers") or []
    return (
        len(scope.get("raw_path") or b"")
        + len(scope.get("query_string") or b"")
        + sum(len(name) + len(value) + 4 for name, value in headers)
    )


class _Exchange:
    """One request's send side: adds the request id, remembers the status, enforces the body
    limit on the receive side."""

    def __init__(self, send: Send, request_id: str, max_body: int, jsonrpc: bool = False) -> None:
        self._send = send
        self.jsonrpc = jsonrpc
        self.request_id = request_id
        self.max_body = max_body
        self.status = 500
        self.started = False
        self.too_large = False

    async def send(self, message: Message) -> None:
        if self.too_large:
            return  # the 413 went out already
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            message["headers"] = [
                *message.get("headers", []),
                (b"x-request-id", self.request_id.encode()),
            ]
        await self._send(message)

    def limited(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            if self.too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    await self.refuse_too_large()
                    return {"type": "http.disconnect"}
            return message

        return wrapped

    async def refuse_too_large(self) -> None:
        if not self.started:
            await self.reply(
                413, "request_too_large", f"request body larger than {self.max_body} bytes"
            )
        self.too_large = True

    async def reply(self, status: int, kind: str, message: str) -> None:
        response = error_response(status, kind, message, jsonrpc=self.jsonrpc)
        await self.send(
            {"type": "http.response.start", "status": status, "headers": response.raw_headers}
        )
        await self.send({"type": "http.response.body", "body": response.body})
