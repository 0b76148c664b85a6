"""The Slack bot's settings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from specqa.core.settings import SettingsGroup

__all__ = ["SlackSettings"]


class SlackSettings(SettingsGroup):
    """The Slack app: its secrets, and where its Web API is."""

    model_config = SettingsConfigDict(env_prefix="SPECQA_SLACK_")

    signing_secret: SecretStr | None = Field(
        default=None, description="Slack app signing secret; unset disables the Slack routes."
    )
    bot_token: SecretStr | None = Field(
        default=None, description="Slack bot token (xoxb-...) for chat.postMessage."
    )
    api_url: str = Field(
        default="https://slack.com/api/",
        description="Slack Web API base URL (tests point it home).",
    )
    app_token: SecretStr | None = Field(
        default=None,
        description="Slack app-level token (xapp-..., scope connections:write); set, `specqa serve` "
        "also receives Slack over Socket Mode (no public HTTPS URL needed).",
    )
