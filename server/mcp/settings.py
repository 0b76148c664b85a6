"""The MCP surface's settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from specqa.core.settings import SettingsGroup

__all__ = ["McpSettings"]


class McpSettings(SettingsGroup):
    """What an MCP tool result may hold."""

    model_config = SettingsConfigDict(env_prefix="SPECQA_MCP_")

    answer_chars: int = Field(
        default=2500,
        ge=500,
        le=100_000,
        description="Longest text of an MCP answer_question result, characters: the bottom line, "
        "confidence, quotes and examples that fit (all of them stay in its structured content).",
    )
