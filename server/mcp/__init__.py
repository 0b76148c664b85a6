"""The MCP surface: its tools and its streamable HTTP endpoint."""
