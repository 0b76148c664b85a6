"""The one JSON error body every surface answers with: ``{"error": {"type": ..., "message": ...}}``.

REST, chat, the web pages and ``/mcp`` refuse through :func:`error_response` (the app's exception
handlers, installed by :func:`install_error_handlers`, and the MCP endpoint call it directly); the
request middleware's 413, 431 and 500 replies send the same response's bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from specqa.core.errors import SpecQAError
from specqa.core.logs import get_logger

__all__ = [
    "ERROR_RESPONSES",
    "ErrorBody",
    "ErrorDetail",
    "Refused",
    "error_body",
    "error_response",
    "install_error_handlers",
    "jsonrpc_error_body",
    "project_error_response",
    "validation_message",
]

log = get_logger(__name__)
JSONRPC_SERVER_ERROR = -32000  # JSON-RPC's first implementation-defined server error code


class Refused(StarletteHTTPException):
    """A refusal raised from a route or dependency: answered as ``status`` with ``kind``."""

    def __init__(
        self, status: int, kind: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, detail=message, headers=dict(headers or {}))
        self.kind = kind

    def response(self, *, jsonrpc: bool = False) -> JSONResponse:
        """``jsonrpc``: in a body that is also a JSON-RPC error (``/mcp``)."""
        return error_response(
            self.status_code, self.kind, str(self.detail), self.headers, jsonrpc=jsonrpc
        )


class ErrorDetail(BaseModel):
    type: str = Field(description="What kind of error: invalid_request, http_error, or one of ours")
    message: str = Field(description="What was wrong, for a person to read")


class ErrorBody(BaseModel):
    """Every refusal's body, on every route (what OpenAPI declares for 4xx and 5xx)."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "Bad input"),
        (401, "Missing or wrong API key"),
        (404, "Unknown release, section, answer or model"),
        (413, "Body too large"),
        (422, "A field missing or of the wrong type"),
        (429, "Rate limit exceeded (see Retry-After)"),
        (503, "The index or a backing service is unavailable"),
    ]
}
"""What every route declares beside its own success: the one error body (FastAPI would declare
its own ``{"detail": [...]}`` for 422, which this server never sends)."""


def error_body(kind: str, message: str) -> dict[str, dict[str, str]]:
    """Every refusal's body, as :class:`ErrorBody` declares it."""
    return ErrorBody(error=ErrorDetail(type=kind, message=message)).model_dump()


def jsonrpc_error_body(kind: str, message: str) -> dict[str, Any]:
    """A refusal's body that is also a JSON-RPC error, for ``/mcp``: the MCP SDK shows a JSON-RPC
    error's message ("rate limit exceeded; retry in 3 s"), and for any other body only "Server
    returned an error response"."""
    error = {"code": JSONRPC_SERVER_ERROR, **error_body(kind, message)["error"]}
    return {"jsonrpc": "2.0", "id": None, "error": error}


def error_response(
    status: int,
    kind: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    jsonrpc: bool = False,
) -> JSONResponse:
    """``jsonrpc``: the body is also a JSON-RPC error (:func:`jsonrpc_error_body`)."""
    body = jsonrpc_error_body(kind, message) if jsonrpc else error_body(kind, message)
    return JSONResponse(body, status_code=status, headers=headers)


def project_error_response(exc: SpecQAError) -> JSONResponse:
    """One of our errors as the client sees it: its status, its class name, its public message
    (the full message, when it differs, goes to the log only)."""
    if exc.public_message != exc.message:
        log.warning("%s: %s", type(exc).__name__, exc.message)
    return error_response(exc.status_code, type(exc).__name__, exc.public_message)


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """A validation's first error as one line: the field and what is wrong with it ("question:
    String should have at least 1 character"), not pydantic's whole report."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SpecQAError)
    async def project_error(request: Request, exc: SpecQAError) -> JSONResponse:
        return project_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = (
            exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        )
        if first.get("type") == "json_invalid":  # FastAPI's loc is the character it stopped at
            at = first.get("loc", ("body", 0))[-1]
            why = (first.get("ctx") or {}).get("error", "JSON decode error")
            return error_response(
                400, "invalid_request", f"the body is not valid JSON (at character {at}): {why}"
            )
        return error_response(422, "invalid_request", validation_message(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, Refused):
            return exc.response()
        return error_response(exc.status_code, "http_error", str(exc.detail), exc.headers)
