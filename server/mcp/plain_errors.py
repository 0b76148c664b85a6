"""The MCP server whose argument errors read like the REST API's (one line naming the field) and
whose tool schemas declare the configured question limit.

The SDK reports arguments that fail validation as a tool error carrying pydantic's whole report
("1 validation error for answer_questionArguments … [type=string_too_short, input_value=…]
For further information visit https://errors.pydantic.dev/…"), which an assistant shows its user
as it is. The SDK has no hook for that text, hence this subclass. The tools' arguments are
declared once, at import, so their schema says the most any configuration accepts; the limit a
server is configured with (``SPECQA_MAX_QUESTION_CHARS``) is written into what it lists, as the
OpenAPI document has it (:func:`server.rest.routes.declare_question_limit`).
"""

from __future__ import annotations

import copy
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, InputRequiredResult
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from server.edge.errors import validation_message

__all__ = ["SpecMCPServer"]


class SpecMCPServer(MCPServer[None]):
    question_chars: int | None = None  # the configured question limit, declared when listed

    async def list_tools(self) -> list[MCPTool]:
        tools = await super().list_tools()
        limit = self.question_chars
        return tools if limit is None else [_with_question_limit(t, limit) for t in tools]

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


def _with_question_limit(tool: MCPTool, limit: int) -> MCPTool:
    """``tool`` with its ``question`` argument's maxLength set to ``limit`` (a copy: the
    registered schema is what validates)."""
    question = tool.input_schema.get("properties", {}).get("question")
    if question is None:
        return tool
    schema = copy.deepcopy(tool.input_schema)
    schema["properties"]["question"]["maxLength"] = limit
    return tool.model_copy(update={"input_schema": schema})
