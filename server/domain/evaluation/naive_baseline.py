"""The naive baseline: dense top-k over fixed-size word windows of the flattened release, with the
same embedding model, ignoring structure. It exists only so the eval can report the hybrid
retriever's gain as a ratio measured in the same run."""

from __future__ import annotations

import uuid
from typing import Any

from specqa.core.embedding import Embedder
from specqa.core.embedding_cache import EmbeddingCache, content_hash
from specqa.core.spec import ParsedRelease

__all__ = ["NaiveRetriever"]

WINDOW_WORDS = 150


class NaiveRetriever:
    def __init__(
        self, parsed: ParsedRelease, embedder: Embedder, cache: EmbeddingCache | None = None
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.embedder = embedder
        self.windows = _windows(parsed)
        texts = [text for text, _ in self.windows]
        vectors = _embed(texts, embedder, cache)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.collection: Any = client.create_collection(
            f"naive_{uuid.uuid4().hex[:8]}", metadata={"hnsw:space": "cosine"}
        )
        self.collection.add(
            ids=[str(i) for i in range(len(texts))],
            embeddings=vectors,  # type: ignore[arg-type]
            documents=texts,
            metadatas=[{"section_id": section} for _, section in self.windows],
        )

    def rank_sections(self, question: str, k: int = 10) -> list[str]:
        vector = self.embedder.embed_query(question)
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=min(4 * k, len(self.windows)),
            include=["metadatas"],
        )
        ranked: list[str] = []
        for metadata in result["metadatas"][0]:
            if metadata["section_id"] not in ranked:
                ranked.append(str(metadata["section_id"]))
        return ranked[:k]


def _windows(parsed: ParsedRelease) -> list[tuple[str, str]]:
    """(text, section id where the window starts) for consecutive 150-word windows."""
    words: list[tuple[str, str]] = []
    examples = {e.id: e for e in parsed.examples}
    for section in parsed.sections:
        parts = [section.title, section.body, *section.commentary]
        for example_id in section.example_ids:
            example = examples[example_id]
            parts.append(example.title)
            parts += [turn.content for turn in example.conversation]
            parts += [f"{r.label} {r.text}" for r in example.responses]
        words += [(word, section.id) for word in " ".join(parts).split()]
    return [
        (" ".join(w for w, _ in words[start : start + WINDOW_WORDS]), words[start][1])
        for start in range(0, len(words), WINDOW_WORDS)
    ]


def _embed(texts: list[str], embedder: Embedder, cache: EmbeddingCache | None) -> list[list[float]]:
    hashes = [content_hash(text) for text in texts]
    known = cache.get_many(hashes) if cache else {}
    missing = [(h, t) for h, t in zip(hashes, texts, strict=True) if h not in known]
    if missing:
        fresh = dict(
            zip([h for h, _ in missing], embedder.embed([t for _, t in missing]), strict=True)
        )
        if cache:
            cache.put_many(fresh)
        known.update(fresh)
    return [known[h] for h in hashes]
