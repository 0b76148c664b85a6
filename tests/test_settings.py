"""Settings are grouped by concern, each group next to the layer that reads it, and every
environment variable of the flat settings they replaced still sets the same setting."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

import specqa.core
from server.domain.settings import DomainSettings
from server.edge.settings import EdgeSettings, HttpSettings
from server.mcp.settings import McpSettings
from server.settings import Settings
from server.slack.settings import SlackSettings
from specqa.core.settings import CoreSettings, SettingsGroup, environment_names

# The contract: every variable the flat settings object read before settings were grouped
# (generated from it), with a valid value other than the default and the place it must land.
# A variable may be renamed only together with this list, and the list only grows.
OLD_VARIABLES: list[tuple[str, str, str, object]] = [
    ("SPECQA_SPEC_DIR", "spec.spec_dir", "/srv/spec", Path("/srv/spec")),
    ("SPECQA_RELEASES_FILE", "spec.releases_file", "/srv/r.json", Path("/srv/r.json")),
    ("SPECQA_DOWNLOAD_DIR", "spec.download_dir", "/srv/dl", Path("/srv/dl")),
    ("SPECQA_QUESTION_BANK", "spec.question_bank", "/srv/qb.jsonl", Path("/srv/qb.jsonl")),
    ("SPECQA_NOT_COVERED_FILE", "spec.not_covered_file", "/srv/nc.jsonl", Path("/srv/nc.jsonl")),
    ("SPECQA_RELEASES", "spec.releases", "2025-02-12, 2025-04-11", ["2025-02-12", "2025-04-11"]),
    ("SPECQA_INDEX_DIR", "index.index_dir", "/srv/index", Path("/srv/index")),
    ("SPECQA_CHROMA_URL", "index.chroma_url", "http://127.0.0.1:9", "http://127.0.0.1:9"),
    ("SPECQA_DENSE_SEARCH", "index.dense_search", "chroma", "chroma"),
    ("SPECQA_EMBED_MODEL", "index.embed_model", "some/model", "some/model"),
    ("SPECQA_TUNE_EMBEDDINGS", "index.tune_embeddings", "no", False),
    ("SPECQA_TUNING_RUNS", "index.tuning_runs", "2", 2),
    ("SPECQA_EMBED_BACKEND", "index.embed_backend", "torch", "torch"),
    ("SPECQA_MODEL_CACHE_DIR", "index.model_cache_dir", "/srv/models", Path("/srv/models")),
    ("SPECQA_EMBED_BATCH_SIZE", "index.embed_batch_size", "32", 32),
    ("SPECQA_CHUNK_MAX_TOKENS", "index.chunk_max_tokens", "200", 200),
    ("SPECQA_EMBED_THREADS", "index.embed_threads", "3", 3),
    ("SPECQA_INGEST_EMBED_THREADS", "index.ingest_embed_threads", "4", 4),
    ("SPECQA_TOP_SECTIONS", "answers.top_sections", "7", 7),
    ("SPECQA_TOP_EXAMPLES", "answers.top_examples", "4", 4),
    ("SPECQA_TOP_EXAMPLES_ASKED", "answers.top_examples_asked", "12", 12),
    ("SPECQA_MAX_QUESTION_CHARS", "answers.max_question_chars", "500", 500),
    ("SPECQA_MAX_HISTORY_TURN_CHARS", "answers.max_history_turn_chars", "600", 600),
    ("SPECQA_MAX_HISTORY_CHARS", "answers.max_history_chars", "700", 700),
    ("SPECQA_LLM_MODEL", "llm.model", "chat-a", "chat-a"),
    ("OPENAI_MODEL", "llm.model", "chat-b", "chat-b"),
    ("OPENAI_API_KEY", "llm.api_key", "sk-a", "sk-a"),
    ("SPECQA_OPENAI_API_KEY", "llm.api_key", "sk-b", "sk-b"),
    ("OPENAI_BASE_URL", "llm.base_url", "http://127.0.0.1:7/v1", "http://127.0.0.1:7/v1"),
    ("SPECQA_OPENAI_BASE_URL", "llm.base_url", "http://127.0.0.1:8/v1", "http://127.0.0.1:8/v1"),
    ("SPECQA_LLM_TIMEOUT_S", "llm.timeout_s", "3.5", 3.5),
    ("SPECQA_LLM_MAX_RETRIES", "llm.max_retries", "1", 1),
    ("SPECQA_LLM_MAX_RETRY_WAIT_S", "llm.max_retry_wait_s", "2.5", 2.5),
    ("SPECQA_LLM_DEADLINE_S", "llm.deadline_s", "9.5", 9.5),
    ("SPECQA_LLM_MAX_TOKENS", "llm.max_tokens", "300", 300),
    ("SPECQA_LLM_ROUTE_MAX_TOKENS", "llm.route_max_tokens", "60", 60),
    ("SPECQA_LLM_MAX_ANSWER_CHARS", "llm.max_answer_chars", "900", 900),
    ("SPECQA_LLM_MAX_CONCURRENT", "llm.max_concurrent", "3", 3),
    ("SPECQA_LLM_ROUTE", "llm.route", "false", False),
    ("SPECQA_LLM_SECTION_CHARS", "llm.section_chars", "1000", 1000),
    ("SPECQA_LLM_EXAMPLE_CHARS", "llm.example_chars", "300", 300),
    ("SPECQA_MCP_ANSWER_CHARS", "mcp.answer_chars", "1200", 1200),
    ("SPECQA_ANSWER_THREADS", "http.answer_threads", "5", 5),
    ("SPECQA_AUDIT_THREADS", "http.audit_threads", "3", 3),
    ("SPECQA_JUDGE_MAX_TOKENS", "judge.max_tokens", "200", 200),
    ("SPECQA_JUDGE_RESPONSE_FORMAT", "judge.response_format", "0", False),
    ("SPECQA_HOST", "http.host", "127.0.0.2", "127.0.0.2"),
    ("SPECQA_PORT", "http.port", "8123", 8123),
    ("SPECQA_PUBLIC_BASE_URL", "answers.public_base_url", "https://q.example/", "https://q.example"),
    ("SPECQA_WORKERS", "http.workers", "2", 2),
    ("SPECQA_API_KEYS", "http.api_keys", "k1, k2", ["k1", "k2"]),
    ("SPECQA_RATE_LIMIT_PER_MINUTE", "http.rate_limit_per_minute", "7", 7),
    ("SPECQA_WARM_RELEASES", "http.warm_releases", "0", False),
    ("SPECQA_REDIS_URL", "redis.url", "redis://127.0.0.1:9/0", "redis://127.0.0.1:9/0"),
    ("SPECQA_REDIS_TIMEOUT_S", "redis.timeout_s", "1.5", 1.5),
    ("SPECQA_FEEDBACK_DATABASE_URL", "feedback.database_url", "sqlite:///f.db", "sqlite:///f.db"),
    ("SPECQA_FEEDBACK_TIMEOUT_S", "feedback.timeout_s", "2.5", 2.5),
    ("SPECQA_FEEDBACK_QUEUE_SIZE", "feedback.queue_size", "10", 10),
    ("SPECQA_TRUSTED_PROXIES", "http.trusted_proxies", "10.0.0.1, 10.1.0.0/16", ["10.0.0.1", "10.1.0.0/16"]),
    ("SPECQA_HEADER_TIMEOUT_S", "http.header_timeout_s", "4.5", 4.5),
    ("SPECQA_BODY_TIMEOUT_S", "http.body_timeout_s", "6.5", 6.5),
    ("SPECQA_MAX_CONNECTIONS", "http.max_connections", "50", 50),
    ("SPECQA_MAX_HEADER_BYTES", "http.max_header_bytes", "4096", 4096),
    ("SPECQA_CORS_ORIGINS", "http.cors_origins", "https://a.example,https://b.example", ["https://a.example", "https://b.example"]),
    ("SPECQA_MAX_BODY_BYTES", "http.max_body_bytes", "2048", 2048),
    ("SPECQA_MAX_CONVERSATION_BODY_BYTES", "http.max_conversation_body_bytes", "4096", 4096),
    ("SPECQA_LOG_LEVEL", "logging.level", "DEBUG", "DEBUG"),
    ("SPECQA_SLACK_SIGNING_SECRET", "slack.signing_secret", "shh", "shh"),
    ("SPECQA_SLACK_BOT_TOKEN", "slack.bot_token", "xoxb-1", "xoxb-1"),
    ("SPECQA_SLACK_API_URL", "slack.api_url", "http://127.0.0.1:9/api/", "http://127.0.0.1:9/api/"),
    ("SPECQA_SLACK_APP_TOKEN", "slack.app_token", "xapp-1", "xapp-1"),
]  # fmt: skip


def read(settings: object, path: str) -> object:
    """The plain value at ``path`` (``group.field``), secrets revealed."""
    value = settings
    for part in path.split("."):
        value = getattr(value, part)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        return [v.get_secret_value() if isinstance(v, SecretStr) else v for v in value]
    return value


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No variable of ours set (the session's own, such as the model cache, included)."""
    for variable in {name for name, *_ in OLD_VARIABLES}:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.mark.parametrize(("variable", "path", "raw", "expected"), OLD_VARIABLES)
def test_every_old_environment_variable_still_sets_its_setting(
    bare_environment: pytest.MonkeyPatch, variable: str, path: str, raw: str, expected: object
) -> None:
    assert read(Settings(), path) != expected  # the value is not the default: the test can fail
    bare_environment.setenv(variable, raw)
    assert read(Settings(), path) == expected


def test_the_settings_read_exactly_the_old_variables() -> None:
    groups = [field.annotation for field in Settings.model_fields.values()]
    read_now = {
        variable
        for group in groups
        if isinstance(group, type) and issubclass(group, SettingsGroup)
        for name in group.model_fields
        for variable in environment_names(group, name)
    }
    assert read_now == {variable for variable, *_ in OLD_VARIABLES}


def test_openai_names_come_before_specqa_ones_as_before(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    bare_environment.setenv("SPECQA_LLM_MODEL", "ours")
    bare_environment.setenv("OPENAI_MODEL", "theirs")
    bare_environment.setenv("OPENAI_API_KEY", "sk-theirs")
    bare_environment.setenv("SPECQA_OPENAI_API_KEY", "sk-ours")
    llm = Settings().llm
    assert llm.model == "ours"
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "sk-theirs"


def test_a_keyword_by_its_old_flat_name_overrides_one_setting_and_keeps_the_environment(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    bare_environment.setenv("SPECQA_LLM_MAX_RETRIES", "1")
    bare_environment.setenv("SPECQA_LLM_TIMEOUT_S", "9")
    settings = Settings(llm_timeout_s=3, slack_bot_token="xoxb-2", top_sections=2)
    assert (settings.llm.timeout_s, settings.llm.max_retries) == (3, 1)
    assert read(settings, "slack.bot_token") == "xoxb-2"
    assert settings.answers.top_sections == 2


def test_a_keyword_overrides_a_variable_of_another_name_for_the_same_setting(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    bare_environment.setenv("OPENAI_MODEL", "from-env")
    bare_environment.setenv("OPENAI_API_KEY", "sk-env")
    settings = Settings(llm_model="from-code", openai_api_key="sk-code")
    assert (settings.llm.model, read(settings, "llm.api_key")) == ("from-code", "sk-code")
    assert Settings().updated(llm_model="updated").llm.model == "updated"


def test_a_bad_value_in_any_group_stops_the_whole_settings_at_once(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    bare_environment.setenv("SPECQA_MCP_ANSWER_CHARS", "10")
    bare_environment.setenv("SPECQA_PORT", "not-a-port")
    bare_environment.setenv("SPECQA_FEEDBACK_DATABASE_URL", "mysql://db/feedback")
    with pytest.raises(ValidationError) as raised:
        Settings()
    places = {error["loc"] for error in raised.value.errors()}
    assert places == {("mcp", "answer_chars"), ("http", "port"), ("feedback", "database_url")}
    assert [Settings.name_at(place) for place in sorted(places)] == [
        "feedback_database_url",
        "port",
        "mcp_answer_chars",
    ]


def test_an_unknown_keyword_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="top_section"):
        Settings(top_section=2)


def test_an_updated_copy_changes_one_setting_and_is_validated_again() -> None:
    settings = Settings(index_dir=Path("/srv/index"))
    changed = settings.updated(dense_search="chroma")
    assert (changed.index.dense_search, changed.index.index_dir) == ("chroma", Path("/srv/index"))
    assert settings.index.dense_search == "auto"
    with pytest.raises(ValidationError):
        settings.updated(top_sections=0)


def test_each_layer_reads_its_own_groups_and_the_core_knows_no_server() -> None:
    assert set(CoreSettings.model_fields) == {"spec", "index", "logging"}
    assert set(DomainSettings.model_fields) - set(CoreSettings.model_fields) == {
        "answers",
        "llm",
        "judge",
        "feedback",
    }
    assert set(EdgeSettings.model_fields) - set(DomainSettings.model_fields) == {"http", "redis"}
    assert set(Settings.model_fields) - set(EdgeSettings.model_fields) == {"mcp", "slack"}
    assert (SlackSettings.__module__, McpSettings.__module__, HttpSettings.__module__) == (
        "server.slack.settings",
        "server.mcp.settings",
        "server.edge.settings",
    )


def test_no_module_of_the_core_defines_a_slack_mcp_or_http_setting() -> None:
    server_only = {
        variable
        for group in (SlackSettings, McpSettings, HttpSettings)
        for name in group.model_fields
        for variable in environment_names(group, name)
    }
    in_core = set()
    for module in pkgutil.iter_modules(specqa.core.__path__, "specqa.core."):
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, SettingsGroup) and value.model_fields:
                in_core |= {
                    v for name in value.model_fields for v in environment_names(value, name)
                }
    assert in_core
    assert not in_core & server_only
    assert not any("SLACK" in v or "MCP" in v for v in in_core)
