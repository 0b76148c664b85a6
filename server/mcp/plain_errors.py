"""The MCP server whose argument errors read like the REST API's: one line naming the field.

The SDK reports arguments that fail validation as a tool error carrying pydantic's whole report
("1 validation error for answer_questionArguments … [type=string_too_short, input_value=…]
For further information visit https://errors.pydantic.dev/…"), which an assistant shows its user
as it is. The SDK has no hook for that text, hence this subclass.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import ValidationError

from server.edge.errors import validation_message

__all__ = ["SpecMCPServer"]


class SpecMCPServer(MCPServer[None]):
    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[None, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            plain = validation_message(cause.errors())
            raise ToolError(f"invalid arguments for {name}: {plain}") from cause
