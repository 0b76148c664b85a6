"""The embedding backends: the ONNX export computes what sentence-transformers computes, from
any number of threads, and serving with it never loads torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from pydantic import ValidationError

from server.settings import Settings
from specqa.core.embedding import Embedder, OnnxEmbedder, SentenceTransformerEmbedder
from specqa.core.embedding_models import BACKENDS, base_model_name, onnx_artifact, open_embedder
from specqa.core.settings import IndexSettings
from tests.conftest import REPO, make_settings

TEXTS = [
    "Should the model reveal its system prompt?",
    "  can chatgpt help me write really nasty messages to my ex  ",
    "Return only a JSON array of the five largest US states by area. No prose, no markdown.",
    "ÜNICODE, emoji 🙂, tabs\tand\nnewlines",
    "policy " * 500,
    "",
]


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_the_default_backend_is_the_onnx_export(base_embedder: Embedder) -> None:
    assert isinstance(base_embedder, OnnxEmbedder)
    assert (base_embedder.name, base_embedder.dimension, base_embedder.max_seq_length) == (
        "all-MiniLM-L6-v2",
        384,
        256,
    )


def test_onnx_and_sentence_transformers_give_the_same_vectors(
    base_embedder: Embedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    onnx = np.asarray(base_embedder.embed(TEXTS))
    reference = np.asarray(torch_embedder.embed(TEXTS))
    assert onnx.shape == (len(TEXTS), 384)
    assert np.abs(onnx - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_both_backends_count_the_same_word_pieces_before_truncation(
    embedder: Embedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    counts = [embedder.count_tokens(text) for text in TEXTS]
    assert counts == [torch_embedder.count_tokens(text.strip()) for text in TEXTS]
    assert counts[4] > embedder.max_seq_length  # a long text is counted whole


def test_many_threads_embed_at_once_and_get_what_one_thread_gets(embedder: Embedder) -> None:
    questions = [f"{text} #{n}" for n in range(12) for text in TEXTS[:4]]
    alone = [embedder.embed_query(q) for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(embedder.embed_query, questions))
        counted = list(pool.map(embedder.count_tokens, questions))
    assert np.abs(np.asarray(together) - np.asarray(alone)).max() < 1e-6
    assert counted == [embedder.count_tokens(q) for q in questions]


@pytest.mark.slow  # exports the model with torch twice
def test_the_export_is_reused_and_redone_when_stale_or_damaged(
    tmp_path: Path, model_cache: Path, base_embedder: Embedder
) -> None:
    settings = make_settings(tmp_path / "index", model_cache_dir=None)
    artifact = onnx_artifact(settings.index.model_cache_path, base_model_name(settings))
    assert artifact.parent == tmp_path / "index" / "models"  # default: beside the index
    # the session's export (its exporter made it as it makes any), copied where this one goes
    shutil.copytree(onnx_artifact(model_cache, base_model_name(settings)), artifact)
    first = open_embedder(settings)
    model_file = artifact / "model.onnx"
    exported_at = model_file.stat().st_mtime_ns
    meta = json.loads((artifact / "meta.json").read_text())
    assert meta["max_difference"] < 1e-4

    open_embedder(settings)
    assert model_file.stat().st_mtime_ns == exported_at

    (artifact / "meta.json").write_text(json.dumps(meta | {"exporter": 0}))
    again = open_embedder(settings)
    assert model_file.stat().st_mtime_ns != exported_at
    assert np.allclose(again.embed_query("same vector"), first.embed_query("same vector"))
    assert [p.name for p in artifact.parent.iterdir()] == [artifact.name]  # no leftovers

    model_file.write_bytes(model_file.read_bytes()[:1000])  # a damaged file is exported again
    repaired = open_embedder(settings)
    assert np.allclose(repaired.embed_query("same vector"), first.embed_query("same vector"))


def test_serving_with_onnx_never_imports_torch(embedder: Embedder, model_cache: Path) -> None:
    script = (
        "import sys; from server.settings import Settings; "
        "from specqa.core.embedding_models import open_embedder; "
        "e = open_embedder(Settings()); e.embed_query('hello'); "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={"SPECQA_MODEL_CACHE_DIR": str(model_cache), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_the_backend_registry_matches_the_setting() -> None:
    assert set(BACKENDS) == set(get_args(IndexSettings.model_fields["embed_backend"].annotation))
    with pytest.raises(ValidationError, match="embed_backend"):
        Settings(embed_backend="tensorflow")  # type: ignore[arg-type]
