"""`specqa mcp`: the MCP server over stdin/stdout, for desktop assistants."""

from __future__ import annotations

from specqa.cli import IndexDir, app, settings_from


@app.command("mcp")
def mcp_command(index_dir: IndexDir = None) -> None:
    """Serve the Model Spec to an MCP client over stdio (logs go to stderr).

    The model and index load in the background, so the client's handshake does not wait; run
    `specqa ingest` first.
    """
    from server.app import configure_logging
    from server.mcp_server import LazyComponents, build_mcp

    settings = settings_from(index_dir=index_dir)
    configure_logging(settings.log_level)
    components = LazyComponents(settings)
    build_mcp(components, on_start=components.warm_up).run("stdio")
