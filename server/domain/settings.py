"""The domain's settings, on top of the core's: how answers are made, the LLM that may write
them and judge audits, and where feedback is kept."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from specqa.core.settings import CoreSettings, SettingsGroup, Unset

__all__ = [
    "AnswerSettings",
    "DomainSettings",
    "FeedbackSettings",
    "JudgeSettings",
    "LlmSettings",
]


class LlmSettings(SettingsGroup):
    """The chat model that writes LLM answers, its endpoint, and each call's budget."""

    model_config = SettingsConfigDict(env_prefix="SPECQA_LLM_")

    model: Annotated[str | None, Unset] = Field(
        default=None,
        validation_alias=AliasChoices("SPECQA_LLM_MODEL", "OPENAI_MODEL"),
        description="Chat model for LLM answers; with no model set answers are extractive.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "SPECQA_OPENAI_API_KEY"),
        description="API key of the OpenAI-compatible endpoint.",
    )
    base_url: Annotated[str | None, Unset] = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "SPECQA_OPENAI_BASE_URL"),
        description="Base URL of any OpenAI-compatible server (vLLM, Ollama, llama.cpp, ...).",
    )
    timeout_s: float = Field(
        default=10.0, gt=0, le=600, description="Deadline of one LLM call, seconds."
    )
    max_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Retries on 429/5xx/connection errors before falling back.",
    )
    max_retry_wait_s: float = Field(
        default=5.0, ge=0, le=60, description="Longest Retry-After honoured before falling back."
    )
    deadline_s: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="Time budget of one answer's LLM work (routing, answer, retries), seconds.",
    )
    max_tokens: int = Field(
        default=900, ge=16, le=32_000, description="max_tokens sent with every answer call."
    )
    route_max_tokens: int = Field(
        default=120, ge=16, le=4000, description="max_tokens sent with every routing call."
    )
    max_answer_chars: int = Field(
        default=8000,
        ge=200,
        le=200_000,
        description="Longest LLM answer kept, characters; the rest is cut off and the answer says so.",
    )
    max_concurrent: int = Field(
        default=8,
        ge=1,
        le=32,
        description="LLM answers in flight at once (at most 32: MCP and Slack answers share a "
        "40-thread pool); past it the extractive answer is returned.",
    )
    route: bool = Field(
        default=True,
        description="Let the LLM pick the governing sections from the whole table of contents first.",
    )
    section_chars: int = Field(
        default=3000,
        ge=200,
        le=50_000,
        description="Evidence budget per section, characters (whole sentences only).",
    )
    example_chars: int = Field(
        default=600,
        ge=100,
        le=10_000,
        description="Evidence budget per example turn or reply, characters (whole sentences only).",
    )

    @property
    def enabled(self) -> bool:
        """Whether LLM answers are on: a model and an endpoint (a base URL or a key) are set."""
        return bool(self.model and (self.base_url or self.api_key))


class JudgeSettings(SettingsGroup):
    """The LLM judge of audits (it uses the LLM's endpoint and budget)."""

    model_config = SettingsConfigDict(env_prefix="SPECQA_JUDGE_")

    max_tokens: int = Field(
        default=400, ge=64, le=8000, description="max_tokens sent with every judge call (audits)."
    )
    response_format: bool = Field(
        default=True,
        description="Ask the judge for JSON with response_format json_schema (replies are "
        "validated either way); turn off for endpoints that reject the parameter.",
    )


class AnswerSettings(SettingsGroup):
    """What one answer holds and what a question may bring."""

    top_sections: int = Field(default=5, ge=1, le=20, description="Sections cited per answer.")
    top_examples: int = Field(
        default=3,
        ge=0,
        le=20,
        description="Most examples shown per answer (of the sections cited).",
    )
    top_examples_asked: int = Field(
        default=8,
        ge=0,
        le=50,
        description="Most examples shown when the question asks for the spec's examples "
        '("Show me examples of…", "Are there BAD examples about…?"); the answer says how many '
        "more the cited sections have.",
    )
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
    public_base_url: str | None = Field(
        default=None,
        description="Public URL of this server (e.g. https://specqa.example.com); makes every "
        "link to it absolute (diff pages in chat, Slack, MCP). Unset: links are relative (/diff?...).",
    )

    @field_validator("public_base_url", mode="before")
    @classmethod
    def _base_url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).strip().rstrip("/")
        if not text.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return text


class FeedbackSettings(SettingsGroup):
    """Where feedback on answers is kept, and how long keeping it may take."""

    model_config = SettingsConfigDict(env_prefix="SPECQA_FEEDBACK_")

    database_url: Annotated[SecretStr | None, Unset] = Field(
        default=None,
        description="Where feedback on answers is kept: postgresql://user:password@host/db (shared by "
        "every replica) or sqlite:///path; unset uses <index_dir>/feedback.sqlite.",
    )
    timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="Longest one PostgreSQL feedback operation may take, connecting included, "
        "seconds; past it the call ends (a feedback post gets a 503) even if the server hangs.",
    )
    queue_size: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Answers waiting to be recorded for feedback (a worker thread writes them, off "
        "the answer's path); when full, more are dropped and counted.",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        url = value.get_secret_value() if value is not None else None
        if url is not None and not re.match(r"(sqlite|postgres|postgresql)(\+\w+)?://", url):
            raise ValueError("must start with postgresql:// or sqlite:///")
        return value


class DomainSettings(CoreSettings):
    """What the answering service and its components read: the core's groups and the domain's."""

    answers: AnswerSettings = Field(
        default_factory=AnswerSettings, description=AnswerSettings.__doc__
    )
    llm: LlmSettings = Field(default_factory=LlmSettings, description=LlmSettings.__doc__)
    judge: JudgeSettings = Field(default_factory=JudgeSettings, description=JudgeSettings.__doc__)
    feedback: FeedbackSettings = Field(
        default_factory=FeedbackSettings, description=FeedbackSettings.__doc__
    )
