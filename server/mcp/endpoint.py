"""Where the MCP server runs: ``/mcp`` on the app (streamable HTTP, :func:`mount_mcp`) and stdio
for ``specqa mcp`` (:func:`stdio_server`, over a lazy components builder).

``/mcp`` goes through the same authorisation step as every other surface
(:func:`server.edge.security.authorize`: Origin, bearer key, rate limit) and refuses with the same
status, headers and ``error.type`` / ``error.message``, in a body that is also a JSON-RPC error
(``Refused.response(jsonrpc=True)``): the MCP SDK shows a JSON-RPC error's message ("rate limit
exceeded; retry in 3 s"), and for any other body only "Server returned an error response".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from server.composition.components import Components, build_components
from server.domain.settings import DomainSettings
from server.edge.errors import Refused
from server.edge.security import authorize
from server.edge.settings import EdgeSettings
from server.mcp.settings import McpSettings
from server.mcp.tools import ComponentsProvider, build_mcp
from specqa.core.errors import SpecIndexError, SpecQAError

__all__ = [
    "MCP_PATHS",
    "LazyComponents",
    "MCPHttpEndpoint",
    "mount_mcp",
    "stdio_server",
]

MCP_PATHS = ("/mcp", "/mcp/")

log = logging.getLogger("specqa.mcp")


class LazyComponents:
    """Builds the components on first use, for `specqa mcp` (the handshake need not wait)."""

    def __init__(self, settings: DomainSettings) -> None:
        self.settings = settings
        self._parts: Components | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Components:
        with self._lock:
            if self._parts is None:
                self._parts = build_components(self.settings)
            return self._parts

    def warm_up(self) -> None:
        """Load the model and open the index in the background."""
        threading.Thread(target=self._warm, name="specqa-warm-up", daemon=True).start()

    def _warm(self) -> None:
        try:
            self().service.index_status()
        except SpecQAError as exc:
            log.error("index not ready: %s", exc.message)


def stdio_server(settings: DomainSettings, mcp: McpSettings) -> MCPServer[None]:
    """The server `specqa mcp` runs over stdio: the model and index load in the background as
    soon as it starts; the first tool call waits for them if need be."""
    components = LazyComponents(settings)
    limit = settings.answers.max_question_chars
    return build_mcp(components, mcp, question_chars=limit, on_start=components.warm_up)


def app_components(app: FastAPI) -> ComponentsProvider:
    def provider() -> Components:
        parts: Components | None = getattr(app.state, "components", None)
        if parts is None:
            raise SpecIndexError("the server is still starting: the index is not open yet")
        return parts

    return provider


class MCPHttpEndpoint:
    """``/mcp``: the authorisation step (Origin, bearer key, rate limit) in front of the SDK's
    streamable HTTP transport (stateless and JSON, so any worker can serve any request)."""

    def __init__(
        self, settings: EdgeSettings, mcp: McpSettings, components: ComponentsProvider
    ) -> None:
        self.settings = settings
        self.server = build_mcp(components, mcp, question_chars=settings.answers.max_question_chars)
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the transport for the app's lifetime (a fresh session manager each time: the
        SDK runs one only once)."""
        self.server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            max_request_body_size=self.settings.http.max_conversation_body_bytes,
            # Host/Origin are checked by the authorisation step against our own settings instead
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        refusal = await run_in_threadpool(self._refusal, request)  # the rate limit may ask Redis
        if refusal is None and request.method != "POST":
            # stateless: no server-to-client stream to GET, no session to DELETE (spec: 405)
            refusal = Refused(405, "method_not_allowed", "use POST", {"Allow": "POST"})
        if refusal is None and self._manager is None:
            refusal = Refused(503, "unavailable", "the MCP endpoint is not running yet")
        if refusal is not None:
            await refusal.response(jsonrpc=True)(scope, receive, send)
            return
        assert self._manager is not None
        await self._manager.handle_request(scope, receive, send)

    def _refusal(self, request: Request) -> Refused | None:
        try:
            return authorize(request, self.settings, origin=True)
        except SpecQAError as exc:  # the shared state store (Redis) is down
            log.warning("%s: %s", type(exc).__name__, exc.message)
            return Refused(exc.status_code, type(exc).__name__, exc.public_message)


def mount_mcp(app: FastAPI, settings: EdgeSettings, mcp: McpSettings) -> MCPHttpEndpoint:
    """Route ``/mcp`` to the MCP endpoint; the app lifespan must run ``endpoint.running()``."""
    endpoint = MCPHttpEndpoint(settings, mcp, app_components(app))
    for path in MCP_PATHS:  # "/mcp/" too: a client given it is not redirected on every call
        app.router.routes.append(Route(path, endpoint, include_in_schema=False))
    return endpoint
