"""Build the index: read, parse, chunk, embed (reusing the cache), store aside, then switch.

The previous index stays active until the new collection is complete and its count verified; only
then is the pointer replaced. A crash at any point before that leaves the old index serving.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ingest.chunking import (
    NOT_COVERED_RELEASE,
    Chunk,
    chunk_release,
    not_covered_chunks,
    sentence_chunks,
)
from ingest.parser import parse_release
from ingest.sources import ReleaseSource
from ingest.tuning import RECIPE, Recipe, TuningReport, tuned_embedder
from specqa.core.embedding import Embedder
from specqa.core.embedding_cache import EmbeddingCache
from specqa.core.errors import SpecIndexError
from specqa.core.question_bank import (
    BankEntry,
    entries_for_release,
    load_bank,
    load_not_covered,
)
from specqa.core.settings import CoreSettings
from specqa.core.store import CHUNKER_VERSION, IndexManifest, ReleaseStats, VectorStore

__all__ = ["IngestReport", "ReleaseReport", "run_ingest"]

Progress = Callable[[str, int, int], None]
"""Called with the stage ("tuning" or "embedding"), the steps done and the steps in all."""
_ADD_BATCH = 256


@dataclass
class ReleaseReport:
    sections: int
    examples: int
    chunks: int  # every chunk of the release, its sentences included
    sentences: int = 0  # the sections' quotable sentences, stored with their vectors
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    sha256: str = ""


@dataclass
class IngestReport:
    releases: dict[str, ReleaseReport] = field(default_factory=dict)
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    truncated: int = 0
    unchanged: bool = False
    collection: str = ""
    tuning: TuningReport | None = None
    not_covered: int = 0  # curated off-topic questions indexed (chunks of no release)
    bank_entries: int = 0
    bank_keys: dict[str, int] = field(default_factory=dict)  # release -> entries that hold there
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "releases": {
                name: {
                    "sections": r.sections,
                    "examples": r.examples,
                    "chunks": r.chunks,
                    "sentences": r.sentences,
                    "embedded": r.embedded,
                    "reused": r.reused,
                    "seconds": round(r.seconds, 3),
                }
                for name, r in self.releases.items()
            },
            "embedded": self.embedded,
            "reused": self.reused,
            "seconds": round(self.seconds, 3),
            "truncated_chunks": self.truncated,
            "unchanged": self.unchanged,
            "collection": self.collection,
            "tuning": None if self.tuning is None else vars(self.tuning),
            "question_bank": {"entries": self.bank_entries, "keys": self.bank_keys},
            "not_covered": self.not_covered,
            "warnings": self.warnings,
        }


def run_ingest(
    settings: CoreSettings,
    embedder: Embedder,
    store: VectorStore,
    progress: Progress | None = None,
    *,
    recipe: Recipe = RECIPE,
) -> IngestReport:
    """Index the configured releases with ``embedder`` (the base model), or with that model tuned
    on those releases when ``settings.index.tune_embeddings`` is set (trained once, then cached)."""
    started = time.perf_counter()
    source = ReleaseSource(settings)
    releases = source.select(settings.spec.releases)
    texts = {r.version: source.read(r.version) for r in releases}  # all verified before any work

    report = IngestReport()
    bank = _read_bank(settings, report)
    chunks_by_release: dict[str, list[Chunk]] = {}
    parsed_releases = []
    for release in releases:
        parsed = parse_release(release.version, texts[release.version])
        parsed_releases.append((parsed, release.sha256))
        keys = entries_for_release(bank, parsed)
        report.bank_keys[release.version] = len(keys)
        report.warnings += _bank_warnings(release.version, len(bank), keys)
        chunks = chunk_release(parsed, embedder.count_tokens, settings.index.chunk_max_tokens, keys)
        sentences = sentence_chunks(parsed)
        chunks_by_release[release.version] = chunks + sentences
        report.releases[release.version] = ReleaseReport(
            len(parsed.sections),
            len(parsed.examples),
            len(chunks) + len(sentences),
            sentences=len(sentences),
            sha256=release.sha256,
        )
    chunks_by_release[NOT_COVERED_RELEASE] = not_covered_chunks(_read_not_covered(settings, report))
    report.not_covered = len(chunks_by_release[NOT_COVERED_RELEASE])
    if settings.index.tune_embeddings:
        tuning_progress = (
            (lambda done, total: progress("tuning", done, total)) if progress else None
        )
        averaged = replace(recipe, runs=settings.index.tuning_runs)
        embedder, report.tuning = tuned_embedder(
            settings, embedder, parsed_releases, tuning_progress, averaged, bank
        )
    all_chunks = [c for chunks in chunks_by_release.values() for c in chunks]
    fingerprint = _fingerprint(embedder, all_chunks)
    too_long = {  # each distinct text counted once: most chunks repeat across releases
        text
        for text in {c.text for c in all_chunks}
        if embedder.count_tokens(text) > embedder.max_seq_length
    }
    report.truncated = sum(1 for c in all_chunks if c.text in too_long)

    current = store.manifest()
    if current is not None and current.fingerprint == fingerprint and _intact(store, current):
        _drop_leftovers(
            store, {current.collection, *([current.previous] if current.previous else [])}
        )
        report.unchanged, report.collection = True, current.collection
        for stats in report.releases.values():
            stats.reused = stats.chunks
        report.reused = sum(stats.chunks for stats in report.releases.values())
        report.seconds = time.perf_counter() - started
        return report

    vectors = _embed_all(settings, embedder, chunks_by_release, report, progress)
    manifest = _build_collection(
        settings, embedder, store, all_chunks, vectors, fingerprint, current, report
    )
    store.activate(manifest)
    _drop_leftovers(store, {manifest.collection, *([current.collection] if current else [])})
    report.collection = manifest.collection
    report.seconds = time.perf_counter() - started
    return report


def _read_bank(settings: CoreSettings, report: IngestReport) -> list[BankEntry]:
    """The question bank; a missing file is a warning (answers then have no curated keys)."""
    if not settings.spec.question_bank.is_file():
        report.warnings.append(
            f"no question bank at {settings.spec.question_bank}; indexing without curated questions"
        )
        return []
    bank = load_bank(settings.spec.question_bank)
    report.bank_entries = len(bank)
    return bank


def _read_not_covered(settings: CoreSettings, report: IngestReport) -> list[str]:
    if not settings.spec.not_covered_file.is_file():
        report.warnings.append(
            f"no not-covered questions at {settings.spec.not_covered_file}; "
            "off-topic questions are recognised less well"
        )
        return []
    return load_not_covered(settings.spec.not_covered_file)


def _drop_leftovers(store: VectorStore, keep: set[str]) -> None:
    """Drop builds other than ``keep`` (older ones, killed ones) and give their space back."""
    store.drop_collections_except(keep)
    store.reclaim_space()


def _fingerprint(embedder: Embedder, chunks: list[Chunk]) -> str:
    """What the index would hold: the model and every chunk's id, text and metadata. Hashing the
    chunks themselves (not version numbers) means any change to parsing or chunking rebuilds."""
    digest = hashlib.sha256(f"{embedder.name}\0{embedder.dimension}".encode())
    for chunk in chunks:
        digest.update(chunk.id.encode())
        digest.update(chunk.content_hash.encode())
        digest.update(json.dumps(chunk.metadata, sort_keys=True).encode())
    return digest.hexdigest()


def _intact(store: VectorStore, manifest: IndexManifest) -> bool:
    try:
        return store.count(manifest.collection) == manifest.total_chunks
    except SpecIndexError:
        return False


def _embed_all(
    settings: CoreSettings,
    embedder: Embedder,
    chunks_by_release: dict[str, list[Chunk]],
    report: IngestReport,
    progress: Progress | None,
) -> dict[str, list[float]]:
    try:
        return _embed_cached(settings, embedder, chunks_by_release, report, progress)
    except (OSError, sqlite3.Error) as exc:  # a full disk or a read-only index folder
        raise SpecIndexError(
            f"ingest failed while writing the embedding cache in {settings.index.index_dir} ({exc}); "
            "the previous index is unchanged"
        ) from exc


def _embed_cached(
    settings: CoreSettings,
    embedder: Embedder,
    chunks_by_release: dict[str, list[Chunk]],
    report: IngestReport,
    progress: Progress | None,
) -> dict[str, list[float]]:
    cache = EmbeddingCache(settings.index.index_dir / "embed_cache.sqlite", embedder.name)
    try:
        vectors: dict[str, list[float]] = {}
        total = sum(len(chunks) for chunks in chunks_by_release.values())
        done = 0
        for release, chunks in chunks_by_release.items():
            started = time.perf_counter()
            stats = report.releases.get(release) or ReleaseReport(0, 0, len(chunks))
            hashes = list({c.content_hash: None for c in chunks})
            vectors.update(cache.get_many([h for h in hashes if h not in vectors]))
            missing = [
                c
                for c in {c.content_hash: c for c in chunks}.values()
                if c.content_hash not in vectors
            ]
            for start in range(0, len(missing), settings.index.embed_batch_size):
                batch = missing[start : start + settings.index.embed_batch_size]
                fresh = dict(
                    zip(
                        [c.content_hash for c in batch],
                        embedder.embed([c.text for c in batch], settings.index.embed_batch_size),
                        strict=True,
                    )
                )
                cache.put_many(fresh)
                vectors.update(fresh)
                if progress:
                    progress("embedding", done + start + len(batch), total)
            stats.embedded = len(missing)
            stats.reused = stats.chunks - stats.embedded
            stats.seconds = time.perf_counter() - started
            done += len(chunks)
            if progress:
                progress("embedding", done, total)
        report.embedded = sum(r.embedded for r in report.releases.values())
        report.reused = sum(r.reused for r in report.releases.values())
        return vectors
    finally:
        cache.close()


def _build_collection(
    settings: CoreSettings,
    embedder: Embedder,
    store: VectorStore,
    chunks: list[Chunk],
    vectors: dict[str, list[float]],
    fingerprint: str,
    current: IndexManifest | None,
    report: IngestReport,
) -> IndexManifest:
    from llama_index.core.schema import BaseNode, TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    name = f"specqa_{datetime.now(UTC):%Y%m%d%H%M%S%f}_{fingerprint[:8]}"
    nodes: list[BaseNode] = [
        TextNode(
            id_=c.id,
            text=c.text,
            metadata=dict(c.metadata),
            embedding=vectors[c.content_hash],
            excluded_embed_metadata_keys=list(c.metadata),
            excluded_llm_metadata_keys=list(c.metadata),
        )
        for c in chunks
    ]
    try:
        collection = store.new_collection(name)
        vector_store = ChromaVectorStore(chroma_collection=collection)
        for start in range(0, len(nodes), _ADD_BATCH):
            vector_store.add(nodes[start : start + _ADD_BATCH])
        stored = int(collection.count())
    except Exception as exc:
        with contextlib.suppress(Exception):  # best effort: the next ingest drops leftovers too
            store.drop_collections_except({current.collection} if current else set())
        raise SpecIndexError(
            f"ingest failed while writing the index ({exc}); the previous index is unchanged"
        ) from exc
    if stored != len(chunks):
        raise SpecIndexError(f"index verification failed: stored {stored} of {len(chunks)} chunks")
    return IndexManifest(
        collection=name,
        embed_model=embedder.name,
        dimension=embedder.dimension,
        max_seq_length=embedder.max_seq_length,
        chunk_max_tokens=settings.index.chunk_max_tokens,
        chunker_version=CHUNKER_VERSION,
        tuning_recipe=report.tuning.recipe if report.tuning else None,
        releases={
            version: ReleaseStats(
                sha256=r.sha256,
                sections=r.sections,
                examples=r.examples,
                chunks=r.chunks,
                sentences=r.sentences,
            )
            for version, r in report.releases.items()
        },
        total_chunks=len(chunks),
        fingerprint=fingerprint,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        previous=current.collection if current else None,
    )


def _bank_warnings(
    release: str, entries: int, keys: list[tuple[int, BankEntry, str | None]]
) -> list[str]:
    """What ingest says of the entries that do not answer in ``release``: skipped (section gone)
    or stale (sentence gone: still a key of its section)."""
    stale = sum(sentence is None for _, _, sentence in keys)
    warnings = []
    if len(keys) < entries:
        warnings.append(
            f"{entries - len(keys)} question-bank entries name a section release {release} "
            "lacks and are skipped there; `specqa bank check` lists them"
        )
    if stale:
        warnings.append(
            f"{stale} question-bank entries are stale in release {release} (their sentence is "
            "worded otherwise there): keys of their section, but no answer; "
            "`specqa bank check` lists them"
        )
    return warnings
