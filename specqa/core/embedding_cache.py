"""Content-hash embedding cache: text identical across releases or runs is embedded once.

A small SQLite table beside the index (stdlib, no server, atomic writes) keyed by the model and the
chunk's sha256. Chroma could hold it too, but would build an HNSW graph nobody queries.
"""

from __future__ import annotations

import hashlib
import sqlite3
from array import array
from pathlib import Path

__all__ = ["EmbeddingCache", "content_hash"]


def content_hash(text: str) -> str:
    """The cache key of a text (with the model name): its sha256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path, model: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._db = sqlite3.connect(str(path))
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, hash TEXT, vector BLOB, "
            "PRIMARY KEY (model, hash))"
        )

    def get_many(self, hashes: list[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for start in range(0, len(hashes), 500):
            batch = hashes[start : start + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})",
                [self.model, *batch],
            )
            for content_hash, blob in rows:
                found[content_hash] = array("f", blob).tolist()
        return found

    def put_many(self, vectors: dict[str, list[float]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(self.model, h, array("f", v).tobytes()) for h, v in vectors.items()],
            )

    def close(self) -> None:
        self._db.close()
