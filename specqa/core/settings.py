"""Configuration, grouped by concern: each group a typed model next to the layer that reads it.

This module holds what the bottom layer reads (the spec sources, the index and its embedding
model, logging) and :class:`GroupedSettings`, the machinery every layer's aggregate shares: a
settings object whose fields are groups, each group reading its own ``SPECQA_*`` / ``OPENAI_*``
variables. Layers above add their groups by subclassing (``server.domain.settings``,
``server.edge.settings``); the composition root (``server.settings.Settings``) holds them all, so
an invalid value anywhere fails at start-up, not mid-request. Nothing else reads the environment.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AliasChoices, BeforeValidator, Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = [
    "CommaSeparated",
    "CoreSettings",
    "GroupedSettings",
    "IndexSettings",
    "LogSettings",
    "SettingsGroup",
    "SpecSettings",
    "Unset",
    "environment_names",
    "split_csv",
]

PROJECT_SPEC_DIR = Path("spec")
PREFIX = "SPECQA_"


def split_csv(value: object) -> object:
    """A comma-separated variable as a list (a list given in code passes through)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def empty_is_unset(value: object) -> object:
    """An empty variable means the setting is not set."""
    return None if value == "" else value


Unset = BeforeValidator(empty_is_unset)
"""Marks an optional setting whose empty variable means "not set"."""
CommaSeparated = Annotated[list[str], NoDecode, BeforeValidator(split_csv)]
"""A list given as one comma-separated variable."""


class SettingsGroup(BaseSettings):
    """One concern's settings. Its variables are its ``env_prefix`` plus the field's name, or the
    field's ``validation_alias`` names; :class:`GroupedSettings` reads them."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="forbid", populate_by_name=True)


def environment_names(group: type[SettingsGroup], name: str) -> list[str]:
    """The environment variables that set ``group``'s field ``name``, in order of precedence."""
    field = group.model_fields[name]
    alias = field.validation_alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else []
    names = [c for c in choices if isinstance(c, str) and c.isupper()]
    return names or [f"{group.model_config.get('env_prefix', '')}{name}".upper()]


def _flat_name(group: type[SettingsGroup], name: str) -> str:
    """The field's one project-wide name: its ``SPECQA_*`` variable, lower case, no prefix."""
    names = environment_names(group, name)
    own = next((n for n in names if n.startswith(PREFIX)), names[0])
    return own.removeprefix(PREFIX).lower()


def _group_type(field: FieldInfo) -> type[SettingsGroup] | None:
    kind = field.annotation
    return kind if isinstance(kind, type) and issubclass(kind, SettingsGroup) else None


class _GroupsFromEnvironment(PydanticBaseSettingsSource):
    """Every group's variables, read by pydantic-settings' own environment source for that group
    (its prefix, aliases and case rules), nested under the group's field."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads whole groups

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            group = _group_type(field)
            if group is not None:
                values[name] = _by_field_name(group, EnvSettingsSource(group)())
        return values


def _by_field_name(group: type[SettingsGroup], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` keyed by field name, not by the variable they came from, so that a keyword
    given in code (keyed by field name too) overrides them."""
    names = {
        variable.lower(): name
        for name in group.model_fields
        for variable in environment_names(group, name)
    }
    return {names.get(key.lower(), key): value for key, value in values.items()}


class GroupedSettings(BaseSettings):
    """Settings made of groups. Built with no arguments it reads the environment; keyword
    arguments override it, given either as groups (``llm=LlmSettings(...)``) or by a setting's
    flat name (``llm_timeout_s=3``: its ``SPECQA_*`` variable without the prefix), which the
    command line and tests use."""

    model_config = SettingsConfigDict(extra="forbid")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _GroupsFromEnvironment(settings_cls)

    @classmethod
    def flat_names(cls) -> dict[str, tuple[str, str]]:
        """Each setting's flat name, with its group's field and its own field in the group."""
        return _flat_names(cls)

    @classmethod
    def name_at(cls, location: tuple[int | str, ...]) -> str:
        """The flat name of the setting at a validation error's ``location`` (as it was before
        settings were grouped: ``("llm", "timeout_s")`` is ``llm_timeout_s``)."""
        by_place = {place: flat for flat, place in cls.flat_names().items()}
        head = tuple(str(part) for part in location[:2])
        if len(head) == 2 and head in by_place:
            return by_place[(head[0], head[1])]
        return ".".join(str(part) for part in location)

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        names = cls.flat_names()
        routed: dict[str, Any] = {}
        for key, value in data.items():
            if key in names:
                continue
            routed[key] = dict(value) if isinstance(value, dict) else value
        for key, value in data.items():
            if key in names:
                group, field = names[key]
                inner = routed.get(group)
                if isinstance(inner, SettingsGroup):
                    inner = inner.model_dump()
                routed[group] = {**(inner or {}), field: value}
        return routed

    def updated(self, **flat: object) -> Self:
        """A copy with the settings named (by flat name) changed, validated again."""
        values: dict[str, Any] = {
            name: getattr(self, name).model_dump() for name in type(self).model_fields
        }
        return type(self).model_validate({**values, **flat})


@cache
def _flat_names(cls: type[GroupedSettings]) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for group_name, field in cls.model_fields.items():
        group = _group_type(field)
        if group is None:
            continue
        for name in group.model_fields:
            flat = _flat_name(group, name)
            if flat in names:
                raise TypeError(f"two settings are named {flat}")
            names[flat] = (group_name, name)
    return names


class SpecSettings(SettingsGroup):
    """Where the Model Spec's releases and the curated question files are."""

    spec_dir: Annotated[Path | None, Unset] = Field(
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
    releases: CommaSeparated = Field(
        default_factory=list,
        description="Releases to ingest, comma-separated; empty means every release in the manifest.",
    )


class IndexSettings(SettingsGroup):
    """The vector index and the embedding model it is built and searched with."""

    index_dir: Path = Field(
        default=Path("index"), description="Folder of the embedded Chroma index."
    )
    chroma_url: Annotated[str | None, Unset] = Field(
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
    tuning_runs: int = Field(
        default=1,
        ge=1,
        le=4,
        description="Tuning runs averaged into the tuned model, each ordering its batches by its "
        "own seed: 2 ranks better (recall@1 +10 of 956 dev questions) in twice the tuning time "
        "(about 11 minutes instead of 5.5 on two cores, over the 6-minute budget).",
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
        default=2,
        ge=1,
        le=256,
        description="Threads per embedding call while serving (idle ones do not spin, so "
        "requests embedding in parallel share the cores).",
    )
    ingest_embed_threads: int = Field(
        default=2, ge=1, le=256, description="Embedding threads for the large batches of an ingest."
    )

    @property
    def model_cache_path(self) -> Path:
        return self.model_cache_dir or self.index_dir / "models"

    @property
    def dense_in_memory(self) -> bool:
        if self.dense_search == "auto":
            return self.chroma_url is None
        return self.dense_search == "memory"


class LogSettings(SettingsGroup):
    """What the logs say."""

    model_config = SettingsConfigDict(env_prefix=f"{PREFIX}LOG_")

    level: str = Field(default="INFO", description="Logging level.")


class CoreSettings(GroupedSettings):
    """What the bottom layer and the ingest read: spec sources, index and model, logging."""

    spec: SpecSettings = Field(default_factory=SpecSettings, description=SpecSettings.__doc__)
    index: IndexSettings = Field(default_factory=IndexSettings, description=IndexSettings.__doc__)
    logging: LogSettings = Field(default_factory=LogSettings, description=LogSettings.__doc__)
