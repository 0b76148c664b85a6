"""Which model embeds, and opening it: the base model or its tuned copy, in the configured runtime.

The :data:`BACKENDS` registry maps ``SPECQA_EMBED_BACKEND`` to an opener. Opening the ONNX
runtime exports the model first when no current export exists (that needs the ``[ingest]``
extra); this module sits above both :mod:`specqa.core.embedding` and
:mod:`specqa.core.onnx_export`, so neither imports the other back.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

from specqa.core.embedding import (
    DEFAULT_MODEL_NAME,
    TUNED_MARK,
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
)
from specqa.core.errors import SpecIndexError
from specqa.core.logs import get_logger
from specqa.core.settings import CoreSettings

__all__ = [
    "BACKENDS",
    "base_model_name",
    "index_model_name",
    "onnx_artifact",
    "open_embedder",
    "open_model",
    "require_ingest_extra",
    "tuned_model_dir",
    "tuned_model_name",
]

INGEST_MODULES = ("torch", "sentence_transformers", "onnx", "onnxscript")


def onnx_artifact(cache_dir: Path, name: str) -> Path:
    """Where model ``name``'s ONNX export lives (a folder named after the model)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[-60:]
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return cache_dir / f"{slug}-{digest}"


def tuned_model_name(base_name: str, fingerprint: str) -> str:
    """The name an index records for ``base_name`` tuned on the spec (see :mod:`ingest.tuning`)."""
    return f"{base_name}{TUNED_MARK}{fingerprint[:12]}"


def tuned_model_dir(cache_dir: Path, name: str) -> Path:
    """The sentence-transformers folder of the tuned model ``name``."""
    return cache_dir / f"tuned-{name.rpartition(TUNED_MARK)[2]}"


def base_model_name(settings: CoreSettings) -> str:
    return settings.index.embed_model or DEFAULT_MODEL_NAME


def index_model_name(settings: CoreSettings, recorded: str | None) -> str:
    """The model to embed queries with for an index that recorded ``recorded`` (None: no index
    yet): the configured base model, or that model tuned on the spec. Anything else is refused."""
    base = base_model_name(settings)
    if recorded is None or recorded == base or recorded.startswith(base + TUNED_MARK):
        return recorded or base
    raise SpecIndexError(
        f"the index was built with embedding model {recorded!r} but {base!r} is configured; "
        "re-run `specqa ingest` or change SPECQA_EMBED_MODEL"
    )


def _source(settings: CoreSettings, name: str) -> str:
    """What sentence-transformers loads for model ``name``: a tuned folder, or the base model."""
    if TUNED_MARK not in name:
        return settings.index.embed_model
    folder = tuned_model_dir(settings.index.model_cache_path, name)
    if not (folder / "config.json").is_file():
        raise SpecIndexError(
            f"the index was built with the tuned model {name!r}, which is not in "
            f"{settings.index.model_cache_path}; re-run `specqa ingest`"
        )
    return str(folder)


def _open_onnx(settings: CoreSettings, name: str, threads: int) -> Embedder:
    artifact = onnx_artifact(settings.index.model_cache_path, name)
    if OnnxEmbedder.is_current(artifact):
        try:
            return OnnxEmbedder(artifact, threads=threads)
        except (SpecIndexError, OSError, ValueError, KeyError) as exc:
            get_logger(__name__).warning("the ONNX export is damaged (%s): redoing it", exc)
    require_ingest_extra(f"there is no ONNX export of the embedding model in {artifact}")
    source = _source(settings, name)
    from specqa.core.onnx_export import export_onnx

    get_logger(__name__).info("exporting the embedding model to %s (once)", artifact)
    export_onnx(source, artifact, threads=threads, name=name)
    return OnnxEmbedder(artifact, threads=threads)


def _open_torch(settings: CoreSettings, name: str, threads: int) -> Embedder:
    require_ingest_extra("SPECQA_EMBED_BACKEND=torch embeds with sentence-transformers")
    return SentenceTransformerEmbedder(_source(settings, name), threads=threads, name=name)


def require_ingest_extra(why: str) -> None:
    """A serve-only install (no torch) says what is missing instead of an ImportError."""
    missing = [name for name in INGEST_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise SpecIndexError(
            f"{why}, and this is a serve-only install ({', '.join(missing)} missing): "
            "install specqa[ingest] (scripts/install.sh without --serve-only) to make it"
        )


BACKENDS: dict[str, Callable[[CoreSettings, str, int], Embedder]] = {
    "onnx": _open_onnx,
    "torch": _open_torch,
}


def open_model(settings: CoreSettings, name: str, *, for_ingest: bool = False) -> Embedder:
    """Model ``name`` (the base model or a tuned one) in the configured runtime, with the thread
    count for serving or for an ingest's batches."""
    threads = settings.index.ingest_embed_threads if for_ingest else settings.index.embed_threads
    return BACKENDS[settings.index.embed_backend](settings, name, threads)


def open_embedder(settings: CoreSettings, *, for_ingest: bool = False) -> Embedder:
    """The configured base model (the one an ingest tunes, or indexes with when not tuning)."""
    return open_model(settings, base_model_name(settings), for_ingest=for_ingest)
