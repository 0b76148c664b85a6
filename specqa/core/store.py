"""The vector store: Chroma (embedded or server), the active-index pointer and the index manifest.

Chroma has no collection alias, so every ingest builds a new collection and then moves a pointer.
Embedded mode keeps the pointer in ``<index_dir>/current.json`` (replaced atomically with
``os.replace``); server mode keeps it in the metadata of a small ``specqa_pointer`` collection so
that every server process sharing the Chroma server sees the same index.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urlparse

from pydantic import BaseModel, ValidationError

from specqa.core.chunk_metadata import ChunkMetadata, ChunkRecord
from specqa.core.errors import BackendUnavailableError, SpecIndexError
from specqa.core.logs import get_logger
from specqa.core.settings import CoreSettings

__all__ = ["CHUNKER_VERSION", "IndexManifest", "ReleaseStats", "VectorStore"]

# The chunk format the index holds (the write path writes it, the read path checks it).
# 5: question-bank keys (kind "bank") and not-covered exemplars; 6: sentence vectors; 7: stale
# bank keys (a bank_sentence of "" where the release no longer says it)
CHUNKER_VERSION = 7
COLLECTION_PREFIX = "specqa_"
POINTER_COLLECTION = "specqa_pointer"
_SEGMENT_FOLDER = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

log = get_logger(__name__)
_GET_PAGE = 500  # chunks per Chroma read when loading a collection
_OUR_KEYS = ChunkMetadata.__optional_keys__


def _our_metadata(stored: Mapping[str, Any]) -> ChunkMetadata:
    """The chunk's metadata as ``ingest.chunking`` wrote it (the keys llama-index or Chroma add
    are left out): where the stored dict becomes the typed contract."""
    return cast(ChunkMetadata, {k: v for k, v in stored.items() if k in _OUR_KEYS})


class ReleaseStats(BaseModel):
    sha256: str
    sections: int
    examples: int
    chunks: int  # every chunk of the release, its sentences included
    sentences: int = 0  # of those, the sections' quotable sentences (kind "sentence")


class IndexManifest(BaseModel):
    """What an index was built from and with; written with the pointer that activates it."""

    collection: str
    embed_model: str
    dimension: int
    max_seq_length: int
    chunk_max_tokens: int
    chunker_version: int
    tuning_recipe: int | None = None
    releases: dict[str, ReleaseStats]
    total_chunks: int
    fingerprint: str
    built_at: str
    previous: str | None = None

    @property
    def newest_release(self) -> str:
        return max(self.releases)


class _Pointer(Protocol):
    def read(self) -> str | None: ...
    def write(self, payload: str) -> None: ...


class _FilePointer:
    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / "current.json"

    def read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, payload: str) -> None:
        partial = self.path.with_name(f".current.{os.getpid()}.tmp")
        try:
            with partial.open("w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, self.path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise SpecIndexError(
                f"cannot write the index pointer {self.path}: {exc.strerror or exc}; "
                "the previous index is unchanged"
            ) from exc


class _ChromaPointer:
    def __init__(self, client: Any) -> None:
        self.client = client

    def read(self) -> str | None:
        metadata = self.client.get_or_create_collection(POINTER_COLLECTION).metadata or {}
        value = metadata.get("manifest")
        return str(value) if value else None

    def write(self, payload: str) -> None:
        self.client.get_or_create_collection(POINTER_COLLECTION).modify(
            metadata={"manifest": payload}
        )


class VectorStore:
    """Owns the Chroma client. Build once per process (app lifespan or CLI command)."""

    def __init__(self, settings: CoreSettings) -> None:
        self.remote = settings.index.chroma_url is not None
        self.url = settings.index.chroma_url
        self.client = _connect(settings)
        self.chroma_dir = None if self.remote else settings.index.index_dir / "chroma"
        self.pointer: _Pointer = (
            _ChromaPointer(self.client) if self.remote else _FilePointer(settings.index.index_dir)
        )

    def manifest(self) -> IndexManifest | None:
        """The manifest of the active index, or None when nothing was ever ingested."""
        payload = self.call(self.pointer.read)
        if payload is None:
            return None
        try:
            return IndexManifest.model_validate_json(payload)
        except ValidationError as exc:
            raise SpecIndexError(
                f"index pointer is unreadable; re-run `specqa ingest` ({exc.error_count()} errors)"
            ) from exc

    def activate(self, manifest: IndexManifest) -> None:
        self.call(lambda: self.pointer.write(manifest.model_dump_json(indent=2)))

    def new_collection(self, name: str) -> Any:
        return self.call(
            lambda: self.client.create_collection(name, metadata={"hnsw:space": "cosine"})
        )

    def stored_chunks(
        self, name: str, expected: int, where: dict[str, Any] | None = None
    ) -> tuple[list[ChunkRecord], Any]:
        """Every chunk of collection ``name`` that ``where`` admits (a Chroma filter; None: all),
        sorted by id, and their vectors as one float32 matrix in that order; ``expected`` chunks
        or SpecIndexError (an interrupted build)."""
        import numpy as np

        collection = self.collection(name)
        records: list[ChunkRecord] = []
        pages: list[Any] = []
        for offset in itertools.count(0, _GET_PAGE):
            page = self.call(
                lambda o=offset: collection.get(
                    where=where,
                    include=["documents", "metadatas", "embeddings"],
                    limit=_GET_PAGE,
                    offset=o,
                )
            )
            records += [
                ChunkRecord(chunk_id, text or "", _our_metadata(metadata))
                for chunk_id, text, metadata in zip(
                    page["ids"], page["documents"], page["metadatas"], strict=True
                )
            ]
            if len(page["ids"]):
                pages.append(np.asarray(page["embeddings"], dtype=np.float32))
            if len(page["ids"]) < _GET_PAGE:
                break
        if len(records) != expected:
            raise SpecIndexError(
                f"index is incomplete: {len(records)} of {expected} chunks; re-run `specqa ingest`"
            )
        order = sorted(range(len(records)), key=lambda i: records[i].id)
        vectors = np.concatenate(pages) if pages else np.zeros((0, 0), dtype=np.float32)
        return [records[i] for i in order], vectors[order]

    def nearest(
        self, name: str, vector: list[float], count: int, where: dict[str, Any]
    ) -> list[tuple[str, float]]:
        """The ``count`` chunks of collection ``name`` nearest ``vector`` among those ``where``
        admits (a Chroma filter), as (chunk id, cosine similarity), nearest first."""
        collection = self.collection(name)
        result = self.call(
            lambda: collection.query(
                query_embeddings=[vector], n_results=count, where=where, include=["distances"]
            )
        )
        return [
            (chunk_id, 1.0 - float(distance))
            for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def count(self, name: str) -> int:
        return int(self.call(self.collection(name).count))

    def probe(self, name: str, dimension: int) -> None:
        """Read one vector and run one query: what fails first when the index files are bad."""
        collection = self.collection(name)
        self.call(lambda: collection.get(limit=1, include=["embeddings"]))
        self.call(
            lambda: collection.query(
                query_embeddings=[[1.0] + [0.0] * (dimension - 1)], n_results=1
            )
        )

    def collection(self, name: str) -> Any:
        """The raw Chroma collection: only for llama-index's ``ChromaVectorStore`` (ingest writes
        through it, and the llama-index adapter reads through it); everything else uses the
        methods above."""
        try:
            return self.call(lambda: self.client.get_collection(name))
        except BackendUnavailableError:
            raise
        except Exception as exc:
            raise SpecIndexError(
                f"index collection {name!r} is missing; re-run `specqa ingest`"
            ) from exc

    def drop_collections_except(self, keep: set[str]) -> list[str]:
        """Delete index collections not in ``keep`` (leftovers of interrupted or old builds)."""
        dropped = []
        for name in self.call(lambda: [c.name for c in self.client.list_collections()]):
            if (
                name.startswith(COLLECTION_PREFIX)
                and name != POINTER_COLLECTION
                and name not in keep
            ):
                self.call(lambda n=name: self.client.delete_collection(n))
                dropped.append(name)
        return dropped

    def reclaim_space(self) -> list[str]:
        """Embedded store: delete the vector segment folders that no collection uses any more
        (Chroma's ``delete_collection`` leaves them behind) and VACUUM the SQLite file, so that
        replaced and killed builds give their space back. Best effort: a failure is logged and
        the next ingest tries again."""
        if self.chroma_dir is None:
            return []
        try:
            with contextlib.closing(
                sqlite3.connect(self.chroma_dir / "chroma.sqlite3", timeout=10)
            ) as db:
                live = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
                orphans = [
                    folder
                    for folder in self.chroma_dir.iterdir()
                    if folder.is_dir()
                    and _SEGMENT_FOLDER.fullmatch(folder.name)
                    and folder.name not in live
                ]
                for folder in orphans:
                    shutil.rmtree(folder, ignore_errors=True)
                db.execute("VACUUM")
        except (sqlite3.Error, OSError) as exc:
            log.warning("could not reclaim the space of old index builds: %s", exc)
            return []
        return [folder.name for folder in orphans]

    def heartbeat(self) -> None:
        self.call(self.client.heartbeat)

    def call(self, call: Any) -> Any:
        """Run a Chroma call, turning connection failures and server-side failures (a Chroma
        server that is down, restarting or erroring) into BackendUnavailableError (HTTP 503)."""
        import httpx
        from chromadb.errors import ChromaError

        try:
            return call()
        except (httpx.TransportError, ConnectionError) as exc:
            raise self._unreachable(exc) from exc
        except ChromaError as exc:
            if exc.code() >= 500 or exc.code() == 429:
                raise BackendUnavailableError(
                    f"the vector store failed: {exc}", "the vector store failed; try again shortly"
                ) from exc
            raise
        except ValueError as exc:
            if "connect" in str(exc).lower():
                raise self._unreachable(exc) from exc
            raise

    def _unreachable(self, exc: Exception) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"the Chroma server at {self.url} is unreachable ({str(exc) or type(exc).__name__})",
            "the Chroma server is unreachable; try again shortly",
        )


def _connect(settings: CoreSettings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.index.chroma_url:
        url = urlparse(settings.index.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise BackendUnavailableError(
                f"cannot reach the Chroma server at {settings.index.chroma_url}: {exc}",
                "the Chroma server is unreachable; try again shortly",
            ) from exc
    try:
        settings.index.index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpecIndexError(
            f"cannot create index folder {settings.index.index_dir}: {exc.strerror}"
        ) from exc
    _check_writable(
        settings.index.index_dir
    )  # Chroma opens its SQLite file read-write, even to read
    try:
        return chromadb.PersistentClient(
            path=str(settings.index.index_dir / "chroma"), settings=chroma_settings
        )
    except Exception as exc:  # chromadb's InternalError for SQLite failures, OSError, ...
        raise SpecIndexError(f"cannot open the index in {settings.index.index_dir}: {exc}") from exc


def _check_writable(folder: Path) -> None:
    probe = folder / f".write-probe.{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise SpecIndexError(
            f"index folder {folder} is not writable: {exc.strerror or exc}"
        ) from exc
