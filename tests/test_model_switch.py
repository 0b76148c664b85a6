"""A running server switches to an index built with another embedding model (issue 24 item 9).

The served index is the session's (built with the tuned model). A real re-ingest into the same
folder, with the base model and no tuning (of a release cut to its first sections, so that it
embeds little), moves ``current.json`` to a build whose vectors need the base model: the server opens that model off the request path and then serves the
new index with it (searches score exactly as a server started on that index does). A pointer
naming a model this server cannot open is refused plainly: the old index keeps serving and
``/readyz`` says a restart is needed. No tuning runs here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx

from ingest.pipeline import IngestReport, run_ingest
from server.composition.components import build_components
from server.settings import Settings
from specqa.core.embedding import Embedder
from specqa.core.store import VectorStore
from tests.conftest import REPO, make_settings, spec_dir
from tests.helpers import serve_app, wait_until

RELEASE = "2025-02-12"
QUESTION = "Should the model reveal its system prompt if the user asks?"
MISSING_MODEL = "all-MiniLM-L6-v2+specqa-tuned-000000000000"  # no such tuned model on disk


def _ready(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{url}/readyz", timeout=30).json()
    return body


def _search(url: str) -> list[tuple[str, float]]:
    response = httpx.get(f"{url}/v1/search", params={"q": QUESTION}, timeout=30)
    assert response.status_code == 200, response.text
    return [(hit["id"], hit["score"]) for hit in response.json()["sections"]]


def _small_release(folder: Path) -> dict[str, object]:
    """Settings for an ingest of release RELEASE cut before "Stay in bounds" (its manifest entry
    re-hashed to match), without the question bank or the not-covered questions."""
    text = (spec_dir() / f"model_spec-{RELEASE}.md").read_text(encoding="utf-8")
    cut = text[: text.index("\n# Stay in bounds")] + "\n"
    folder.mkdir()
    (folder / f"model_spec-{RELEASE}.md").write_text(cut, encoding="utf-8")
    listed = json.loads((REPO / "spec" / "releases.json").read_text(encoding="utf-8"))
    entry = next(r for r in listed["releases"] if r["version"] == RELEASE)
    entry.update(sha256=hashlib.sha256(cut.encode()).hexdigest(), bytes=len(cut.encode()))
    (folder / "releases.json").write_text(json.dumps({**listed, "releases": [entry]}))
    return {
        "spec_dir": folder,
        "releases_file": folder / "releases.json",
        "question_bank": folder / "none.jsonl",
        "not_covered_file": folder / "none.jsonl",
        "tune_embeddings": False,
    }


def _point_at(index: Path, **changes: str) -> None:
    """Rewrite the index pointer as an ingest elsewhere would (atomically)."""
    pointer = index / "current.json"
    manifest = {**json.loads(pointer.read_text()), **changes}
    written = index / "current.json.tmp"
    written.write_text(json.dumps(manifest))
    os.replace(written, pointer)


def test_a_reingest_with_another_model_is_served_with_that_model_and_a_missing_one_is_refused(
    built: tuple[Settings, IngestReport],
    embedder: Embedder,
    base_embedder: Embedder,
    tmp_path: Path,
) -> None:
    index = tmp_path / "index"
    shutil.copytree(built[0].index.index_dir, index)
    # not loading the older releases in the background: two Chroma clients of one process on one
    # folder, one reading while the other writes, broke its SQLite ("database disk image is
    # malformed"); here the ingest runs in the server's own process
    settings = make_settings(index, rate_limit_per_minute=0, warm_releases=False)
    with serve_app(settings, embedder) as url:
        before = _ready(url)
        assert before["query_model"] == embedder.name != base_embedder.name

        # 1. A real re-ingest with the base model (no tuning) moves the pointer while serving.
        again = make_settings(index, **_small_release(tmp_path / "spec"))
        report = run_ingest(again, base_embedder, VectorStore(again))
        assert report.tuning is None and report.collection != before["collection"]
        after = wait_until(
            lambda: (ready := _ready(url))["collection"] == report.collection and ready,
            120,
            "the server to switch to the new index",
        )
        assert after["embed_model"] == after["query_model"] == base_embedder.name
        assert "warning" not in after
        releases = httpx.get(f"{url}/v1/releases", timeout=30).json()
        assert releases["releases"] == [RELEASE]
        switched = _search(url)
        # the same index opened afresh with its model scores the query identically
        fresh = build_components(settings, embedder=base_embedder).service.search(QUESTION)
        assert switched == [(hit.id, hit.score) for hit in fresh.sections]

        # 2. A build naming a model this server does not have: refused, the index serving stays.
        _point_at(index, collection=before["collection"], embed_model=MISSING_MODEL)
        refused = wait_until(lambda: _ready(url).get("warning"), 60, "the refusal")
        assert MISSING_MODEL in refused and "restart the server" in refused
        ready = _ready(url)
        assert ready["collection"] == report.collection
        assert ready["query_model"] == base_embedder.name
        assert _search(url) == switched
