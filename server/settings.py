"""All of specqa's settings, composed: every layer's groups in one object, built once where the
app or the command is wired, so a bad value anywhere stops start-up at once."""

from __future__ import annotations

from pydantic import Field

from server.edge.settings import EdgeSettings
from server.mcp.settings import McpSettings
from server.slack.settings import SlackSettings

__all__ = ["Settings"]


class Settings(EdgeSettings):
    """Every knob of specqa, grouped by concern; each layer reads only its own groups."""

    mcp: McpSettings = Field(default_factory=McpSettings, description=McpSettings.__doc__)
    slack: SlackSettings = Field(default_factory=SlackSettings, description=SlackSettings.__doc__)
