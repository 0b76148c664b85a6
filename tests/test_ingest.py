"""Ingest end to end with the real model and a real embedded Chroma."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any, cast

import pytest

from ingest.pipeline import IngestReport, run_ingest
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.hybrid import HybridRetriever
from server.domain.retrieval.sentences import StoredSentences
from server.settings import Settings
from specqa.core.embedding import Embedder
from specqa.core.errors import SpecIndexError
from specqa.core.quotes import quotable_sentences
from specqa.core.store import CHUNKER_VERSION, VectorStore
from tests.conftest import RELEASES, make_settings, run_cli, spec_dir
from tests.helpers import start_ingest, wait_until
from tests.spec_sample import write_spec_sample


def test_ingest_indexes_every_release_without_truncation(
    built: tuple[Settings, IngestReport],
) -> None:
    settings, report = built
    assert list(report.releases) == RELEASES
    assert [(r.sections, r.examples) for r in report.releases.values()] == [
        (71, 154),
        (71, 154),
        (77, 173),
        (78, 181),
        (80, 183),
    ]
    assert report.truncated == 0
    total = sum(r.chunks for r in report.releases.values())
    assert report.embedded + report.reused == total
    assert report.reused > total / 2  # identical text across releases is embedded once
    manifest = VectorStore(settings).manifest()
    assert manifest is not None
    assert manifest.total_chunks == total + report.not_covered > total
    assert manifest.embed_model.startswith("all-MiniLM-L6-v2+specqa-tuned-")
    assert manifest.dimension == 384


@pytest.mark.slow  # embeds two releases with the base model (their opening parts)
def test_rebuild_with_new_chunking_reuses_cached_embeddings_for_identical_text(
    base_embedder: Embedder, tmp_path: Path
) -> None:
    sample = write_spec_sample(tmp_path / "spec", spec_dir()).settings()
    settings = make_settings(tmp_path / "index", releases=["2025-10-27", "2025-12-18"], **sample)
    first = run_ingest(settings, base_embedder, VectorStore(settings))
    assert first.embedded > 0 and first.tuning is None  # the base model: no tuning asked
    fewer = make_settings(tmp_path / "index", releases=["2025-12-18"], **sample)
    report = run_ingest(fewer, base_embedder, VectorStore(fewer))
    assert not report.unchanged
    assert report.embedded == 0
    assert list(report.releases) == ["2025-12-18"]


def test_only_the_newest_release_is_read_at_load_and_an_older_one_when_first_asked_for(
    built: tuple[Settings, IngestReport],
) -> None:
    store = VectorStore(built[0])
    reads: list[dict[str, Any] | None] = []
    read_chunks = store.stored_chunks

    def counted(name: str, expected: int, where: dict[str, Any] | None = None) -> Any:
        reads.append(where)
        return read_chunks(name, expected, where)

    store.stored_chunks = counted  # type: ignore[method-assign]
    corpus = Corpus.load(store)
    oldest, newest = RELEASES[0], RELEASES[-1]
    assert corpus.names == RELEASES
    assert _reads_of(newest, reads) == 2 and _reads_of(oldest, reads) == 0  # chunks, sentences
    older = corpus.get(oldest)
    assert older is corpus.get(oldest) and _reads_of(oldest, reads) == 2
    assert {chunk.metadata["release"] for chunk in older.chunks} == {oldest}
    stats = built[1].releases[oldest]
    assert len(older.chunks) == stats.chunks - stats.sentences
    assert sum(len(texts) for texts, _ in older.sentences.by_section.values()) == stats.sentences


def _reads_of(release: str, reads: list[dict[str, Any] | None]) -> int:
    return sum(1 for where in reads if where and {"release": release} in where.get("$and", []))


class _CountingEmbedder:
    """The session's model, counting the texts it embeds as documents (not as queries)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.documents = 0

    def embed(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        self.documents += len(texts)
        return self.inner.embed(texts, batch_size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_sentence_vectors_come_from_the_index_so_a_search_embeds_only_the_question(
    built: tuple[Settings, IngestReport], embedder: Embedder
) -> None:
    store = VectorStore(built[0])
    corpus = Corpus.load(store)
    rc = corpus.get(None)
    for section in rc.parsed.sections:
        texts = tuple(s.text for s in quotable_sentences(section.body or section.title))
        assert not texts or rc.sentences.vectors(section.id, texts) is not None, section.id
    counting = _CountingEmbedder(embedder)
    retriever = HybridRetriever(lambda: corpus, cast(Embedder, counting), store)
    stored = retriever.search("Will it help me cheat on my online exam?", with_sentences=True)
    assert counting.documents == 0
    assert stored.sentences is not None and len(stored.sentences.sentences) > 1

    # an index whose sentences differ from this code's: they are embedded once, to the same figures
    rc.sentences = StoredSentences({})
    retriever = HybridRetriever(lambda: corpus, cast(Embedder, counting), store)  # a new server
    embedded = retriever.search("Will it help me cheat on my online exam?", with_sentences=True)
    assert counting.documents > 0
    assert [hit.section.id for hit in embedded.sections] == [
        hit.section.id for hit in stored.sections
    ]
    assert embedded.sentences is not None
    assert embedded.sentences.similarity == pytest.approx(stored.sentences.similarity, abs=1e-4)


def test_index_built_with_another_model_is_refused(built: tuple[Settings, IngestReport]) -> None:
    with pytest.raises(
        SpecIndexError, match=r"built with embedding model 'all-MiniLM-L6-v2\+specqa-tuned-"
    ):
        Corpus.load(VectorStore(built[0]), expected_model="some-other-model")


def test_index_written_in_an_older_format_is_refused_with_a_hint_to_reingest(
    built: tuple[Settings, IngestReport], tmp_path: Path
) -> None:
    store = VectorStore(make_settings(_copy_index(built[0], tmp_path)))
    manifest = store.manifest()
    assert manifest is not None
    store.activate(manifest.model_copy(update={"chunker_version": CHUNKER_VERSION - 1}))
    with pytest.raises(SpecIndexError, match=r"another version of specqa.*re-run `specqa ingest`"):
        Corpus.load(store)


def test_reopened_index_in_a_new_process_answers_the_same(
    built: tuple[Settings, IngestReport], cli_env: dict[str, str]
) -> None:
    question = "Should the model reveal its system prompt if the user asks?"
    here = run_cli("ask", question, "--json", env=cli_env)  # the session's open index
    fresh = run_cli("ask", question, "--json", env=cli_env, subprocess=True)  # reopened
    assert here.returncode == 0, here.stderr
    assert fresh.returncode == 0, fresh.stderr
    one, two = json.loads(here.stdout), json.loads(fresh.stdout)
    assert [c["section_id"] for c in one["citations"]] == [
        c["section_id"] for c in two["citations"]
    ]
    assert one["citations"][0]["section_id"] == "protect_privileged_information"
    assert one["answer"] == two["answer"]


def test_kill_9_during_ingest_leaves_the_previous_index_usable(
    built: tuple[Settings, IngestReport], tmp_path: Path
) -> None:
    index = _copy_index(built[0], tmp_path)
    before = json.loads((index / "current.json").read_text())
    sample = write_spec_sample(tmp_path / "spec", spec_dir())  # five releases' opening parts
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        **sample.env(),
        "SPECQA_INDEX_DIR": str(index),
        "SPECQA_CHUNK_MAX_TOKENS": "120",  # forces real embedding work
        "SPECQA_EMBED_BATCH_SIZE": "16",  # many small batches: killed after the first ones
    }
    process = start_ingest(env)
    rows = _cache_rows(index)
    wait_until(lambda: _cache_rows(index) > rows, 120, "the ingest to start embedding")
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert json.loads((index / "current.json").read_text()) == before
    answer = run_cli(
        "ask", "can the model help with self-harm?", "--json", env={"SPECQA_INDEX_DIR": str(index)}
    )
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["citations"]
    rerun = run_cli(
        "ingest", "--json", env={k: v for k, v in env.items() if k.startswith("SPECQA_")}
    )
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert not report["unchanged"]
    assert report["reused"] > 0
    assert json.loads((index / "current.json").read_text())["collection"] == report["collection"]


def _copy_index(settings: Settings, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(settings.index.index_dir, target)
    return target


def _cache_rows(index: Path) -> int:
    import sqlite3

    with sqlite3.connect(index / "embed_cache.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])


def test_fingerprint_covers_every_chunk_so_a_parser_or_chunker_change_rebuilds(
    embedder: Embedder,
) -> None:
    from ingest.chunking import Chunk
    from ingest.pipeline import _fingerprint

    chunk = Chunk("r:s:text:0", "text", {"content_hash": "abc", "kind": "section"})
    same = Chunk("r:s:text:0", "text", {"content_hash": "abc", "kind": "section"})
    other_metadata = Chunk("r:s:text:0", "text", {"content_hash": "abc", "kind": "commentary"})
    assert _fingerprint(embedder, [chunk]) == _fingerprint(embedder, [same])
    assert _fingerprint(embedder, [chunk]) != _fingerprint(embedder, [other_metadata])
    assert _fingerprint(embedder, [chunk]) != _fingerprint(embedder, [chunk, same])
