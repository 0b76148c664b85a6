"""Shared fixtures: the real releases, the real model, and one real five-release index.

Markers (``make test-fast`` deselects them all; see :func:`pytest_collection_modifyitems`):
``system`` for a test that starts processes or servers (``specqa serve`` subprocesses, a
subprocess CLI, PostgreSQL, Redis, mounts), ``browser`` for one that drives Chromium,
``packaging`` for the fresh-venv and image checks; ``slow`` (by hand) for one that runs in
process but takes minutes."""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from subprocess import CompletedProcess
from subprocess import run as run_process
from typing import TYPE_CHECKING, Any

import pytest
from filelock import FileLock

from fakes.openai_server import FakeOpenAIServer
from fakes.slack_api import FakeSlack
from ingest.parser import parse_release
from ingest.pipeline import IngestReport, run_ingest
from server.composition.components import Components, build_components
from server.settings import Settings
from specqa.cli.options import components_factory
from specqa.core.embedding import Embedder
from specqa.core.embedding_models import open_embedder, open_model
from specqa.core.spec import ParsedRelease
from specqa.core.store import VectorStore
from tests.helpers import live_server

if TYPE_CHECKING:
    from tests.browser import WebDriver

REPO = Path(__file__).resolve().parents[1]
RELEASES = ["2025-02-12", "2025-04-11", "2025-09-12", "2025-10-27", "2025-12-18"]


def every_curated_question() -> list[str]:
    """The questions of every eval set and of both banks (the spec's and the not-covered one)."""
    files = [*sorted((REPO / "tests" / "eval").glob("*.jsonl"))]
    files += [REPO / "spec" / "question_bank.jsonl", REPO / "spec" / "not_covered.jsonl"]
    return [json.loads(line)["question"] for f in files for line in f.read_text().splitlines()]


# --- markers --------------------------------------------------------------------------------------

_STARTS_A_PROCESS = re.compile(
    r"\b(?:subprocess\.run|subprocess\.Popen|Popen|stdio_client)\(|\bsubprocess=True\b"
)
_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_VISITING: set[Callable[..., Any]] = set()  # functions that call each other


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``system`` when the test, a fixture it uses or a function of tests/ they call starts a
    process (or runs the CLI with ``subprocess=True``); ``browser`` when it drives Chromium;
    ``packaging`` for tests/test_packaging.py. A test may also carry a marker by hand."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        if "driver" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
        if item.module is not None and item.module.__name__.endswith(".test_packaging"):
            item.add_marker(pytest.mark.packaging)
        fixtures = [d.func for defs in item._fixtureinfo.name2fixturedefs.values() for d in defs]
        if any(_starts_a_process(f) for f in [item.function, *fixtures]):
            item.add_marker(pytest.mark.system)


@cache
def _starts_a_process(function: Callable[..., Any]) -> bool:
    """Whether ``function`` (one of tests/) or a function of tests/ it names starts a process."""
    function = inspect.unwrap(function)
    module = getattr(function, "__module__", None) or ""
    if not module.startswith("tests") or function is run_cli or function in _VISITING:
        return False
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    if _STARTS_A_PROCESS.search(source):
        return True
    called = (function.__globals__.get(name) for name in set(_NAME.findall(source)))
    _VISITING.add(function)
    try:
        return any(_starts_a_process(f) for f in called if inspect.isfunction(f))
    finally:
        _VISITING.discard(function)


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


_MODELS_AT_START: set[str] = set()


def cached_before_session(folder: Path) -> bool:
    """Whether ``folder`` (a model under the session's model cache) was there when the session
    started: a kept cache (``SPECQA_TEST_MODEL_CACHE``) already held it."""
    return folder.name in _MODELS_AT_START


def _shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this session sees: under pytest-xdist (``-n``) each worker has its
    own base temp folder, and they share its parent."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _lock(folder: Path) -> FileLock:
    """A lock for building ``folder`` (a model cache, an index) once: the workers of a session
    and concurrent sessions over the same kept folder wait for each other. It lives outside
    ``folder``, which may be a read-only cache for everyone but its builder."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return FileLock(Path(tempfile.gettempdir()) / f"specqa-tests-{key}.lock")


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One ONNX export of the model, and one tuning, for the whole session, servers and CLI runs
    started by tests included (under pytest-xdist, for all its workers). Only the session index
    tunes (tuning takes minutes): every other ingest indexes with the base model unless its test
    asks for tuning.

    ``SPECQA_TEST_MODEL_CACHE`` names a folder kept between sessions (tuning is cached there by
    its fingerprint, so a developer's second session does not tune again); `.ci/run` points it
    at the machine's cache and hands it to the image build, which then does not tune either."""
    kept = os.environ.get("SPECQA_TEST_MODEL_CACHE")
    folder = Path(kept) if kept else _shared_tmp(tmp_path_factory) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    seen = _shared_tmp(tmp_path_factory) / "models-at-start.json"
    with _lock(folder):  # the first worker to get here says what the cache held at the start
        if not seen.exists():
            seen.write_text(json.dumps(sorted(path.name for path in folder.iterdir())))
    _MODELS_AT_START.update(json.loads(seen.read_text()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPECQA_MODEL_CACHE_DIR", str(folder))
        patch.setenv("SPECQA_TUNE_EMBEDDINGS", "false")
        yield folder


@pytest.fixture(scope="session")
def base_embedder(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The base model (what an ingest tunes, or indexes with when not tuning)."""
    settings = make_settings(tmp_path_factory.mktemp("unused-index"))
    with _lock(model_cache):  # its ONNX export is made once
        return open_embedder(settings, for_ingest=True)  # the session ingest is a large batch


@pytest.fixture(scope="session")
def built(
    tmp_path_factory: pytest.TempPathFactory, base_embedder: Embedder, model_cache: Path
) -> tuple[Settings, IngestReport]:
    """The five releases ingested once, with the tuned model, into a fresh index (shared, treat
    as read-only). Under pytest-xdist the first worker builds it (and tunes) and each worker
    gets its own copy, feedback database left out, with the build's report."""
    kept = os.environ.get("SPECQA_TEST_INDEX_DIR")  # a developer's: re-ingest is a no-op there
    folder = Path(kept) if kept else _shared_tmp(tmp_path_factory) / "index"
    settings = make_settings(folder, tune_embeddings=True)
    saved = _shared_tmp(tmp_path_factory) / "built-report.pickle"
    with _lock(model_cache), _lock(folder):
        if saved.exists():
            report = pickle.loads(saved.read_bytes())
        else:
            report = run_ingest(settings, base_embedder, VectorStore(settings))
            saved.write_bytes(pickle.dumps(report))
        if os.environ.get("PYTEST_XDIST_WORKER"):
            copy = tmp_path_factory.mktemp("index")
            shutil.copytree(
                folder, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns("feedback.sqlite*")
            )
            settings = make_settings(copy, tune_embeddings=True)
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
    *args: str, env: dict[str, str] | None = None, timeout: float = 300, subprocess: bool = False
) -> CompletedProcess[str]:
    """The `specqa` command with ``args``, ``env`` on top of this process's environment: in this
    process (typer's test runner; the environment and working directory are restored after), or,
    with ``subprocess=True``, as `python -m specqa` in a new process (``timeout`` applies there).
    Inside a test that uses :func:`cli_env`, a command over the session index reuses its parts."""
    full_env = {"HF_HUB_OFFLINE": "1", "SPECQA_SPEC_DIR": str(spec_dir()), **(env or {})}
    if subprocess:
        return run_process(
            [sys.executable, "-m", "specqa", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **full_env},
            timeout=timeout,
            cwd=REPO,
        )
    return _run_cli_in_process(list(args), full_env)


def _run_cli_in_process(args: list[str], env: dict[str, str]) -> CompletedProcess[str]:
    from typer.testing import CliRunner

    from specqa.cli.main import app

    with contextlib.chdir(REPO):
        result = CliRunner().invoke(app, args, env=dict(env))
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))  # as Python prints it
    return CompletedProcess(["specqa", *args], result.exit_code, result.stdout, stderr)


def _sharing(parts: Components) -> Callable[[Settings], Components]:
    """A components factory that hands out ``parts`` for settings equal to theirs, parts derived
    from them for settings that serve the same index (an LLM, a judge, other limits), and
    builds anew for another index."""
    same = _comparable(parts.settings)

    def build(settings: Settings) -> Components:
        if _comparable(settings) == same:
            return parts
        if parts.shares_index_with(settings):
            return parts.derive(settings)
        return build_components(settings)

    return build


def _comparable(settings: Settings) -> dict[str, Any]:
    """The settings' values, relative paths made absolute (the CLI's defaults are relative)."""
    return dict(_absolute(settings.model_dump()))


def _absolute(value: Any) -> Any:
    """``value`` (a settings dump, its groups nested) with every path in it made absolute."""
    if isinstance(value, dict):
        return {name: _absolute(inner) for name, inner in value.items()}
    return value.resolve() if isinstance(value, Path) else value


@pytest.fixture
def cli_env(parts: Components) -> Iterator[dict[str, str]]:
    """The environment that points the CLI at the session index; in-process commands reuse the
    session's parts meanwhile."""
    settings = parts.settings
    with components_factory(_sharing(parts)):
        yield {
            "SPECQA_SPEC_DIR": str(settings.spec.spec_dir),
            "SPECQA_INDEX_DIR": str(settings.index.index_dir),
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
