"""Check that the embedded index opens and answers before a server depends on it.

A damaged HNSW segment file makes Chroma's native code crash the process (SIGSEGV) the moment the
collection is opened, and a deleted segment folder raises deep inside chromadb. Neither can be
caught in the process that hit it, and checksums recorded at ingest do not work either (Chroma
rewrites the segment files when a reader first opens them). So a child process opens the active
collection, counts it and runs one vector query; ``specqa serve`` starts only if the child exits
cleanly, and otherwise stops with one line and exit 2.

    python -m specqa.core.index_check INDEX_DIR COLLECTION DIMENSION CHUNKS   (the child)
"""

from __future__ import annotations

import signal
import subprocess
import sys

from specqa.core.errors import SpecIndexError
from specqa.core.store import IndexManifest

__all__ = ["IndexCheck", "verify_index"]

CHECK_TIMEOUT_S = 120.0


class IndexCheck:
    """The check, started in a child process at once; :meth:`wait` raises
    :class:`SpecIndexError` unless the collection of ``manifest`` opened and answered. The
    server imports its app while the child works (about a second of a cold start each)."""

    def __init__(self, index_dir: str, manifest: IndexManifest) -> None:
        self._index_dir = index_dir
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "specqa.core.index_check",
                index_dir,
                manifest.collection,
                str(manifest.dimension),
                str(manifest.total_chunks),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self) -> None:
        try:
            _, stderr = self._process.communicate(timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise SpecIndexError(
                f"the index in {self._index_dir} did not open within {CHECK_TIMEOUT_S:.0f} s"
            ) from None
        if self._process.returncode != 0:
            why = _why(self._process.returncode, stderr)
            raise SpecIndexError(
                f"the index in {self._index_dir} is damaged ({why}); re-run `specqa ingest`"
            )


def verify_index(index_dir: str, manifest: IndexManifest) -> None:
    """Raise :class:`SpecIndexError` unless the collection of ``manifest`` opens and answers."""
    IndexCheck(index_dir, manifest).wait()


def _why(returncode: int, stderr: str) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"opening the collection crashed the check process with {name}"
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else f"the check exited with {returncode}"


def _check(index_dir: str, collection: str, dimension: int, chunks: int) -> None:
    from pathlib import Path

    from specqa.core.settings import CoreSettings, IndexSettings
    from specqa.core.store import VectorStore

    store = VectorStore(
        CoreSettings(index=IndexSettings(index_dir=Path(index_dir), chroma_url=None))
    )
    count = store.count(collection)
    if count != chunks:
        raise SpecIndexError(f"the collection holds {count} of {chunks} chunks")
    store.probe(collection, dimension)


if __name__ == "__main__":
    _check(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
