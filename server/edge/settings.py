"""The server's settings: how HTTP is served (binding, limits, auth, threads) and the Redis that
replicas share, on top of the domain's."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode, SettingsConfigDict

from server.domain.settings import DomainSettings
from specqa.core.settings import CommaSeparated, SettingsGroup, Unset, split_csv

__all__ = ["EdgeSettings", "HttpSettings", "RedisSettings"]


class HttpSettings(SettingsGroup):
    """Where the server listens, who may call it, and the limits that keep slow or greedy
    clients from exhausting it."""

    host: Annotated[str | None, Unset] = Field(
        default=None,
        description="Bind address; default 0.0.0.0 with API keys set, else 127.0.0.1.",
    )
    port: int = Field(default=8000, ge=0, le=65535, description="Port to listen on.")
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")
    api_keys: Annotated[list[SecretStr], NoDecode, BeforeValidator(split_csv)] = Field(
        default_factory=list,
        description="Comma-separated bearer tokens; set turns on auth for /v1 and /mcp.",
    )
    warm_releases: bool = Field(
        default=True,
        description="Load every indexed release in the background once the server is up, and again for an index swapped in while serving (the newest is loaded before it is ready), so the first question about an older release or a diff does not wait seconds for it; false loads each on first use.",
    )
    rate_limit_per_minute: int = Field(
        default=120,
        ge=0,
        description="Requests per minute (moving window) per API key, or per client address without keys; 0 disables.",
    )
    trusted_proxies: CommaSeparated = Field(
        default_factory=list,
        description="Comma-separated proxy addresses or networks whose X-Forwarded-For is believed; empty trusts none.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds a client has to send a request's headers before the connection is closed.",
    )
    body_timeout_s: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description="Seconds a client has to send a request's body once its headers are in; a "
        "slower body (a client dripping it) has its connection closed.",
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Open connections per worker process; one more is answered 503 "
        "(Retry-After: 1) and closed at once, so slow clients cannot exhaust memory or files.",
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request line plus headers; larger heads are refused (431, or 400 from the HTTP parser).",
    )
    cors_origins: CommaSeparated = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest request body.")
    max_conversation_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest body of a request that carries a whole conversation "
        "(/v1/chat/completions, /v1/answer, /mcp): a chat client resends every earlier turn, "
        "answers too, and those are trimmed to SPECQA_MAX_HISTORY_CHARS, not refused.",
    )
    answer_threads: int = Field(
        default=24,
        ge=1,
        le=1024,
        description="Threads that run answers; health, search and the page never wait for them.",
    )
    audit_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that run REST audits (POST /v1/audit); health, readiness, metrics and "
        "search never wait for them.",
    )

    @property
    def bind_host(self) -> str:
        if self.host:
            return self.host
        return "0.0.0.0" if self.api_keys else "127.0.0.1"


class RedisSettings(SettingsGroup):
    """The Redis that replicas share rate limits and the Slack replay cache through."""

    model_config = SettingsConfigDict(env_prefix="SPECQA_REDIS_")

    url: Annotated[str | None, Unset] = Field(
        default=None,
        description="Redis URL (redis://host:6379/0); set, rate limits and the Slack replay cache are shared by every replica.",
    )
    timeout_s: float = Field(
        default=0.5,
        gt=0,
        le=30,
        description="Connect and socket timeout of each Redis call, seconds: what a hung Redis can "
        "cost one rate-limited request before it gets a 503.",
    )


class EdgeSettings(DomainSettings):
    """What the edge reads (HTTP and Redis) on top of the domain's groups."""

    http: HttpSettings = Field(default_factory=HttpSettings, description=HttpSettings.__doc__)
    redis: RedisSettings = Field(default_factory=RedisSettings, description=RedisSettings.__doc__)
