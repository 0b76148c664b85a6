"""All configuration, in one typed object read from ``SPECQA_*`` and ``OPENAI_*`` variables.

Nothing else in the project reads the environment: build a :class:`Settings` once (the CLI or the
app factory does) and pass it on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]

PROJECT_SPEC_DIR = Path("spec")


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every knob of specqa. Invalid values fail at start-up, not mid-request."""

    model_config = SettingsConfigDict(env_prefix="SPECQA_", extra="ignore", populate_by_name=True)

    # --- spec sources -----------------------------------------------------------------------
    spec_dir: Path | None = Field(
        default=None,
        description="Local folder of model_spec-<release>.md files to read instead of downloading.",
    )
    releases_file: Path = Field(
        default=PROJECT_SPEC_DIR / "releases.json",
        description="Release manifest: version, upstream URL, commit and sha256 of each release.",
    )
    download_dir: Path = Field(
        default=PROJECT_SPEC_DIR / "releases",
        description="Where `specqa fetch-spec` stores downloaded releases (git-ignored).",
    )
    question_bank: Path = Field(
        default=PROJECT_SPEC_DIR / "question_bank.jsonl",
        description="Question bank: curated questions, each with its governing section, the "
        "sentence that answers it and its short answer (keys, tuning pairs, bottom lines).",
    )
    not_covered_file: Path = Field(
        default=PROJECT_SPEC_DIR / "not_covered.jsonl",
        description="Curated questions the Model Spec does not govern (trivia, recipes, coding "
        "help): what an off-topic question is recognised by.",
    )
    releases: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Releases to ingest, comma-separated; empty means every release in the manifest.",
    )

    # --- index ------------------------------------------------------------------------------
    index_dir: Path = Field(
        default=Path("index"), description="Folder of the embedded Chroma index."
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); unset uses the embedded store.",
    )
    dense_search: Literal["auto", "memory", "chroma"] = Field(
        default="auto",
        description="Where a query's nearest chunks come from: memory (exact, over the vectors the "
        "server loaded with the index; about 0.3 ms), chroma (the vector store's query; about 6 ms, "
        "and queries get 503 while a Chroma server is down), or auto: memory with the embedded "
        "store, chroma with a Chroma server.",
    )
    embed_model: str = Field(
        default="",
        description="Sentence-transformers model name or path; empty uses the bundled all-MiniLM-L6-v2.",
    )
    tune_embeddings: bool = Field(
        default=True,
        description="Fine-tune the embedding model on the spec at ingest (cached); false indexes "
        "with the base model. Serving always uses the model its index was built with.",
    )
    embed_backend: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="Embedding runtime: onnx (exported once, no torch at serve time) or torch.",
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where the ONNX export of the model is kept; empty means <index_dir>/models.",
    )
    embed_batch_size: int = Field(
        default=64, ge=1, le=1024, description="Texts per embedding batch."
    )
    chunk_max_tokens: int = Field(
        default=230,
        ge=32,
        le=512,
        description="Largest chunk in model word pieces, prefix included (must fit the model).",
    )
    embed_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Threads per embedding call while serving (requests embed in parallel).",
    )
    ingest_embed_threads: int = Field(
        default=2, ge=1, le=256, description="Embedding threads for the large batches of an ingest."
    )

    # --- answering --------------------------------------------------------------------------
    top_sections: int = Field(default=5, ge=1, le=20, description="Sections cited per answer.")
    top_examples: int = Field(default=3, ge=0, le=20, description="Examples shown per answer.")
    max_question_chars: int = Field(
        default=2000, ge=10, le=100_000, description="Longest question accepted."
    )
    max_history_turn_chars: int = Field(
        default=2000,
        ge=10,
        le=100_000,
        description="Longest earlier turn kept as a follow-up's context (REST `history`, chat's "
        "earlier user messages, Slack threads), characters: a longer one is cut to this.",
    )
    max_history_chars: int = Field(
        default=4000,
        ge=10,
        le=400_000,
        description="Most characters of earlier turns kept in all: the newest turns that fit "
        "are kept and older ones dropped, so a long conversation cannot grow the LLM prompt.",
    )
    llm_model: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SPECQA_LLM_MODEL", "OPENAI_MODEL", "llm_model"),
        description="Chat model for LLM answers; with no model set answers are extractive.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "SPECQA_OPENAI_API_KEY", "openai_api_key"),
        description="API key of the OpenAI-compatible endpoint.",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "OPENAI_BASE_URL", "SPECQA_OPENAI_BASE_URL", "openai_base_url"
        ),
        description="Base URL of any OpenAI-compatible server (vLLM, Ollama, llama.cpp, ...).",
    )
    llm_timeout_s: float = Field(
        default=10.0, gt=0, le=600, description="Deadline of one LLM call, seconds."
    )
    llm_max_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Retries on 429/5xx/connection errors before falling back.",
    )
    llm_max_retry_wait_s: float = Field(
        default=5.0, ge=0, le=60, description="Longest Retry-After honoured before falling back."
    )
    llm_deadline_s: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="Time budget of one answer's LLM work (routing, answer, retries), seconds.",
    )
    llm_max_tokens: int = Field(
        default=900, ge=16, le=32_000, description="max_tokens sent with every answer call."
    )
    llm_route_max_tokens: int = Field(
        default=120, ge=16, le=4000, description="max_tokens sent with every routing call."
    )
    llm_max_answer_chars: int = Field(
        default=8000,
        ge=200,
        le=200_000,
        description="Longest LLM answer kept, characters; the rest is cut off and the answer says so.",
    )
    llm_max_concurrent: int = Field(
        default=8,
        ge=1,
        le=32,
        description="LLM answers in flight at once (at most 32: MCP and Slack answers share a "
        "40-thread pool); past it the extractive answer is returned.",
    )
    llm_route: bool = Field(
        default=True,
        description="Let the LLM pick the governing sections from the whole table of contents first.",
    )
    llm_section_chars: int = Field(
        default=3000,
        ge=200,
        le=50_000,
        description="Evidence budget per section, characters (whole sentences only).",
    )
    llm_example_chars: int = Field(
        default=600,
        ge=100,
        le=10_000,
        description="Evidence budget per example turn or reply, characters (whole sentences only).",
    )
    mcp_answer_chars: int = Field(
        default=2500,
        ge=500,
        le=100_000,
        description="Longest text of an MCP answer_question result, characters: the bottom line, "
        "confidence, quotes and examples that fit (all of them stay in its structured content).",
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
    judge_max_tokens: int = Field(
        default=400, ge=64, le=8000, description="max_tokens sent with every judge call (audits)."
    )
    judge_response_format: bool = Field(
        default=True,
        description="Ask the judge for JSON with response_format json_schema (replies are "
        "validated either way); turn off for endpoints that reject the parameter.",
    )

    # --- server -----------------------------------------------------------------------------
    host: str | None = Field(
        default=None,
        description="Bind address; default 0.0.0.0 with API keys set, else 127.0.0.1.",
    )
    port: int = Field(default=8000, ge=0, le=65535, description="Port to listen on.")
    public_base_url: str | None = Field(
        default=None,
        description="Public URL of this server (e.g. https://specqa.example.com); makes every "
        "link to it absolute (diff pages in chat, Slack, MCP). Unset: links are relative (/diff?...).",
    )
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated bearer tokens; set turns on auth for /v1 and /mcp.",
    )
    rate_limit_per_minute: int = Field(
        default=120,
        ge=0,
        description="Requests per minute (moving window) per API key, or per client address without keys; 0 disables.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://host:6379/0); set, rate limits and the Slack replay cache are shared by every replica.",
    )
    redis_timeout_s: float = Field(
        default=0.5,
        gt=0,
        le=30,
        description="Connect and socket timeout of each Redis call, seconds: what a hung Redis can "
        "cost one rate-limited request before it gets a 503.",
    )
    feedback_database_url: SecretStr | None = Field(
        default=None,
        description="Where feedback on answers is kept: postgresql://user:password@host/db (shared by "
        "every replica) or sqlite:///path; unset uses <index_dir>/feedback.sqlite.",
    )
    feedback_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="Longest one PostgreSQL feedback operation may take, connecting included, "
        "seconds; past it the call ends (a feedback post gets a 503) even if the server hangs.",
    )
    feedback_queue_size: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Answers waiting to be recorded for feedback (a worker thread writes them, off "
        "the answer's path); when full, more are dropped and counted.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
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
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest request body.")
    log_level: str = Field(default="INFO", description="Logging level.")

    # --- slack ------------------------------------------------------------------------------
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Slack app signing secret; unset disables the Slack routes."
    )
    slack_bot_token: SecretStr | None = Field(
        default=None, description="Slack bot token (xoxb-...) for chat.postMessage."
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Slack Web API base URL (tests point it home).",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        description="Slack app-level token (xapp-..., scope connections:write); set, `specqa serve` "
        "also receives Slack over Socket Mode (no public HTTPS URL needed).",
    )

    @field_validator("releases", "cors_origins", "api_keys", "trusted_proxies", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator(
        "spec_dir",
        "chroma_url",
        "llm_model",
        "openai_base_url",
        "host",
        "redis_url",
        "feedback_database_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("feedback_database_url")
    @classmethod
    def _feedback_url(cls, value: SecretStr | None) -> SecretStr | None:
        url = value.get_secret_value() if value is not None else None
        if url is not None and not re.match(r"(sqlite|postgres|postgresql)(\+\w+)?://", url):
            raise ValueError("must start with postgresql:// or sqlite:///")
        return value

    @field_validator("public_base_url", mode="before")
    @classmethod
    def _base_url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).strip().rstrip("/")
        if not text.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return text

    @property
    def model_cache_path(self) -> Path:
        return self.model_cache_dir or self.index_dir / "models"

    @property
    def dense_in_memory(self) -> bool:
        if self.dense_search == "auto":
            return self.chroma_url is None
        return self.dense_search == "memory"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_model and (self.openai_base_url or self.openai_api_key))

    @property
    def bind_host(self) -> str:
        if self.host:
            return self.host
        return "0.0.0.0" if self.api_keys else "127.0.0.1"
