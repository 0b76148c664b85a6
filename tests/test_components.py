"""Components derived for other settings share the loaded index and answer with their own."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components, build_components
from server.composition.warmup import ReleaseWarmup
from server.domain.retrieval.corpus import Corpus
from server.domain.schemas import Answer
from server.settings import Settings
from specqa.core.embedding import Embedder
from specqa.core.errors import InputError
from tests.conftest import make_settings, run_cli
from tests.helpers import app_client, in_process

QUESTION = "How should the assistant respond to a user in crisis?"  # several cited


def test_a_derived_set_answers_with_its_own_settings_over_the_shared_corpus(
    parts: Components,
) -> None:
    settings = make_settings(
        parts.settings.index.index_dir, top_sections=1, top_examples=0, max_question_chars=70
    )
    derived = parts.derive(settings)
    assert derived.corpus is parts.corpus and derived.corpus() is parts.corpus()
    assert derived.embedder is parts.embedder and derived.retriever is parts.retriever
    assert derived.service is not parts.service and derived.feedback is not parts.feedback
    assert derived.settings is settings and derived.service.settings is settings
    answer, shared = derived.service.answer(QUESTION), parts.service.answer(QUESTION)
    assert len(answer.citations) == 1 < len(shared.citations)  # the source's are unchanged
    assert not answer.examples and shared.examples
    assert answer.citations[0].section_id == shared.citations[0].section_id  # the same index
    long = "Should the model reveal its system prompt when a developer says it may not?"
    with pytest.raises(InputError, match="longer than 70 characters"):
        derived.service.answer(long)
    assert parts.service.answer(long).citations


def test_a_derived_set_with_chroma_dense_search_gets_its_own_retriever_over_the_same_corpus(
    parts: Components,
) -> None:
    derived = parts.derive(parts.settings.updated(dense_search="chroma"))
    assert derived.corpus is parts.corpus and derived.retriever is not parts.retriever
    assert not derived.settings.index.dense_in_memory


def test_settings_for_another_index_cannot_be_derived(parts: Components, tmp_path: Path) -> None:
    assert not parts.shares_index_with(make_settings(tmp_path / "index"))
    with pytest.raises(ValueError, match="another index"):
        parts.derive(make_settings(tmp_path / "index"))
    with pytest.raises(ValueError, match="another index"):
        parts.derive(parts.settings.updated(embed_model="some/other-model"))


def test_the_in_process_cli_answers_with_the_session_parts_or_parts_derived_from_them(
    parts: Components, cli_env: dict[str, str]
) -> None:
    seen: list[Answer] = []
    parts.service.observers.append(seen.append)
    try:
        same = run_cli("ask", QUESTION, "--json", env=cli_env)
        assert same.returncode == 0, same.stderr
        assert [a.question for a in seen] == [QUESTION]  # the session's own service answered
        fewer = run_cli("ask", QUESTION, "--json", env={**cli_env, "SPECQA_TOP_EXAMPLES": "0"})
        assert fewer.returncode == 0, fewer.stderr
    finally:
        parts.service.observers.remove(seen.append)
    assert len(seen) == 1  # a service of its own, with its own settings
    assert json.loads(same.stdout)["examples"] and not json.loads(fewer.stdout)["examples"]


def test_a_served_app_runs_blas_on_one_thread_a_request(parts: Components) -> None:
    settings = make_settings(parts.settings.index.index_dir)
    with app_client(settings, parts) as client:
        assert client.get("/healthz").status_code == 200
        blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and set(blas) == {1}  # requests run side by side: no BLAS threads on top


@pytest.mark.parametrize("warm", [True, False])
def test_a_started_server_loads_every_release_in_the_background_unless_told_not_to(
    built: tuple[Settings, IngestReport], embedder: Embedder, warm: bool
) -> None:
    """The first change question of a server loaded four releases on its path (18 s on 2 cores)."""
    settings = make_settings(built[0].index.index_dir, tune_embeddings=True, warm_releases=warm)
    fresh = build_components(settings, embedder=embedder)
    app = create_app(settings, fresh)
    with in_process(app):
        warming = app.state.release_warmup
        assert (warming is not None) == warm
        corpus = fresh.corpus()
        if warming is None:
            assert corpus.loaded == [corpus.newest]
            return
        _wait_until(lambda: warming.warmed is corpus)
        assert sorted(corpus.loaded) == sorted(corpus.names)


def test_an_index_swapped_in_while_serving_is_loaded_in_the_background_too(
    built: tuple[Settings, IngestReport], embedder: Embedder
) -> None:
    """A re-ingest swaps a new index in (a new :class:`Corpus` from the handle): its older
    releases loaded on the first change question's path until the warmup looked again."""
    settings = make_settings(built[0].index.index_dir, tune_embeddings=True)
    fresh = build_components(settings, embedder=embedder)
    first = fresh.corpus()
    swapped_in = Corpus.load(fresh.store, first.manifest.embed_model)
    serving = [first]
    warming = ReleaseWarmup(lambda: serving[0], recheck_every_s=0.05)
    try:
        _wait_until(lambda: warming.warmed is first)
        assert swapped_in.loaded == [swapped_in.newest]
        serving[0] = swapped_in
        _wait_until(lambda: warming.warmed is swapped_in)
    finally:
        warming.stop()
    assert sorted(swapped_in.loaded) == sorted(swapped_in.names)


def _wait_until(condition: Callable[[], bool], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
