"""`specqa mcp`: the MCP server over stdin/stdout, for desktop assistants."""

from __future__ import annotations

import typer

from specqa.cli.options import IndexDir, settings_from

commands = typer.Typer()


@commands.command("mcp")
def mcp_command(index_dir: IndexDir = None) -> None:
    """Serve the Model Spec to an MCP client over stdio (logs go to stderr).

    The model and index load in the background, so the client's handshake does not wait; run
    `specqa ingest` first.
    """
    from server.mcp.endpoint import stdio_server
    from specqa.core.logs import configure_logging

    settings = settings_from(index_dir=index_dir)
    configure_logging(settings.logging.level)
    stdio_server(settings, settings.mcp).run("stdio")
