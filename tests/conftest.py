"""Shared fixtures: the real releases, the real model, and one real five-release index."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fakes.openai_server import FakeOpenAIServer
from fakes.slack_api import FakeSlack
from ingest.parser import parse_release
from ingest.pipeline import IngestReport, run_ingest
from server.domain.components import Components, build_components
from specqa.core.embedding import Embedder
from specqa.core.models import open_embedder, open_model
from specqa.core.settings import Settings
from specqa.core.spec import ParsedRelease
from specqa.core.store import VectorStore
from tests.helpers import live_server

if TYPE_CHECKING:
    from tests.browser import WebDriver

REPO = Path(__file__).resolve().parents[1]
RELEASES = ["2025-02-12", "2025-04-11", "2025-09-12", "2025-10-27", "2025-12-18"]


def spec_dir() -> Path:
    configured = os.environ.get("SPECQA_TEST_SPEC_DIR")
    path = Path(configured) if configured else REPO.parent / "shared" / "model-spec"
    if not (path / "releases.json").exists():
        pytest.exit(
            f"the Model Spec releases are not at {path}; set SPECQA_TEST_SPEC_DIR", returncode=3
        )
    return path


@cache
def parsed(release: str) -> ParsedRelease:
    return parse_release(
        release, (spec_dir() / f"model_spec-{release}.md").read_text(encoding="utf-8")
    )


def make_settings(index_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "spec_dir": spec_dir(),
        "releases_file": REPO / "spec" / "releases.json",
        "question_bank": REPO / "spec" / "question_bank.jsonl",
        "not_covered_file": REPO / "spec" / "not_covered.jsonl",
        "index_dir": index_dir,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def model_cache_kept() -> bool:
    """Whether this session reuses a developer's model cache (see :func:`model_cache`)."""
    return bool(os.environ.get("SPECQA_TEST_MODEL_CACHE"))


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One ONNX export of the model, and one tuning, for the whole session, servers and CLI runs
    started by tests included. Only the session index tunes (tuning takes minutes): every other
    ingest indexes with the base model unless its test asks for tuning.

    ``SPECQA_TEST_MODEL_CACHE`` names a folder kept between sessions (tuning is cached there by
    its fingerprint, so a developer's second session does not tune again); CI leaves it unset."""
    kept = os.environ.get("SPECQA_TEST_MODEL_CACHE")
    folder = Path(kept) if kept else tmp_path_factory.mktemp("models")
    folder.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPECQA_MODEL_CACHE_DIR", str(folder))
        patch.setenv("SPECQA_TUNE_EMBEDDINGS", "false")
        yield folder


@pytest.fixture(scope="session")
def base_embedder(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The base model (what an ingest tunes, or indexes with when not tuning)."""
    settings = make_settings(tmp_path_factory.mktemp("unused-index"))
    return open_embedder(settings, for_ingest=True)  # the session ingest is a large batch


@pytest.fixture(scope="session")
def built(
    tmp_path_factory: pytest.TempPathFactory, base_embedder: Embedder
) -> tuple[Settings, IngestReport]:
    """The five releases ingested once, with the tuned model, into a fresh index (shared, treat
    as read-only)."""
    kept = os.environ.get("SPECQA_TEST_INDEX_DIR")  # a developer's: re-ingest is a no-op there
    folder = Path(kept) if kept else tmp_path_factory.mktemp("index")
    settings = make_settings(folder, tune_embeddings=True)
    report = run_ingest(settings, base_embedder, VectorStore(settings))
    return settings, report


@pytest.fixture(scope="session")
def embedder(built: tuple[Settings, IngestReport]) -> Embedder:
    """The model the session index was built with (the tuned one): what serving embeds with."""
    settings, report = built
    assert report.tuning is not None
    return open_model(settings, report.tuning.model)


@pytest.fixture(scope="session")
def parts(built: tuple[Settings, IngestReport], embedder: Embedder) -> Components:
    return build_components(built[0], embedder=embedder)


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real `specqa` command in a subprocess."""
    full_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "SPECQA_SPEC_DIR": str(spec_dir()),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "specqa", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO,
    )


@pytest.fixture
def cli_env(built: tuple[Settings, IngestReport]) -> Iterator[dict[str, str]]:
    settings = built[0]
    return {
        "SPECQA_SPEC_DIR": str(settings.spec_dir),
        "SPECQA_INDEX_DIR": str(settings.index_dir),
        "SPECQA_TUNE_EMBEDDINGS": "true",  # as it was built: an ingest there is a no-op
    }


@pytest.fixture(scope="module")
def open_url(parts: Components) -> Iterator[str]:
    """The session index behind a real uvicorn with the default settings (no API keys), one
    server per test module."""
    from server.app import create_app

    with live_server(create_app(parts.settings, parts)) as url:
        yield url


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAIServer]:
    """A scripted chat-completions server (fakes/openai_server.py), one per test module;
    point settings at it with ``tests.helpers.fake_llm_settings(fake.base_url)``."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API (and response_url target) on loopback, for one test module."""
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium with its own profile, for one test module."""
    from tests.browser import chromium

    with chromium(tmp_path_factory.mktemp("chromium-profile")) as browser:
        yield browser
