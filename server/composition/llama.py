"""The spec as llama-index parts, for anyone building a query engine or an agent on llama-index.

* :class:`SpecRetriever`, a llama-index ``BaseRetriever`` over the hybrid retriever: the governing
  sections, then the labelled examples, as ``NodeWithScore``s whose metadata carry the id, title,
  authority, release, labels and links (the section URL, and the quote link where there is a
  quote), and whose text is what a query engine should read (the section's text in whole
  sentences up to ``SPECQA_LLM_SECTION_CHARS``; an example's turns and labelled replies in order).
* :func:`spec_vector_index`, the active Chroma collection opened as a ``VectorStoreIndex``
  (``ChromaVectorStore``), queried through :class:`SpecEmbedding`, an adapter over our
  :class:`~specqa.core.embedding.Embedder`, so queries embed with the model the index was built
  with (the tuned one, usually). Its nodes are the raw chunks of every release: filter by
  :func:`release_filters`.
* :func:`spec_retriever` / :func:`spec_query_engine`: the three-line entry points::

      from llama_index.core.query_engine import RetrieverQueryEngine
      from server.composition.llama import spec_retriever

      engine = RetrieverQueryEngine.from_args(spec_retriever(index_dir="index"), llm=my_llm)

  ``spec_query_engine(index_dir="index", llm=my_llm)`` does the same; with no LLM it answers with
  the nodes alone (``response_mode="no_text"``), offline.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.callbacks import CallbackManager
from llama_index.core.indices.vector_store import VectorStoreIndex
from llama_index.core.llms import LLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
from pydantic import PrivateAttr

from server.composition.components import Components, build_components
from server.domain.answering.llm.excerpts import whole_sentences
from server.domain.answering.quoting import best_sentences
from server.domain.precedents.example_view import MARKDOWN, example_card, render_example
from server.domain.retrieval.hybrid import ExampleHit, HybridRetriever, SearchFilters, SectionHit
from server.domain.schemas import section_url
from server.domain.settings import DomainSettings
from specqa.core.embedding import Embedder
from specqa.core.errors import SpecIndexError
from specqa.core.quotes import section_text, text_fragment_url

__all__ = [
    "SpecEmbedding",
    "SpecRetriever",
    "open_components",
    "release_filters",
    "spec_query_engine",
    "spec_retriever",
    "spec_vector_index",
]

# What a query engine's LLM sees besides the text: who said it, with what authority, where.
_HIDDEN_FROM_LLM = ["kind", "path", "quote", "quote_url"]


class SpecEmbedding(BaseEmbedding):
    """llama-index's embedding interface over our :class:`Embedder` (same model, same vectors)."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "SpecEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts, batch_size=self.embed_batch_size)


class SpecRetriever(BaseRetriever):
    """The hybrid retriever's sections and examples as llama-index nodes (sections first)."""

    def __init__(
        self,
        retriever: HybridRetriever,
        *,
        release: str | None = None,
        filters: SearchFilters | None = None,
        k_sections: int = 5,
        k_examples: int = 3,
        section_chars: int = 3000,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager=callback_manager)
        self._retriever = retriever
        self._release = release
        self._filters = filters
        self._k_sections = k_sections
        self._k_examples = k_examples
        self._section_chars = section_chars

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        question = query_bundle.query_str
        result = self._retriever.search(
            question, self._release, self._filters, self._k_sections, self._k_examples
        )
        sections = [self._section_node(result.release, hit, question) for hit in result.sections]
        examples = [self._example_node(result.release, hit) for hit in result.examples]
        return sections + examples

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """On a worker thread: embedding and ranking are CPU work that would block the loop."""
        return await asyncio.to_thread(self._retrieve, query_bundle)

    def _section_node(self, release: str, hit: SectionHit, question: str) -> NodeWithScore:
        section = hit.section
        url = section_url(release, section.id)
        quote = best_sentences(section.body, question)
        text = whole_sentences(section_text(section.body), self._section_chars) or section.title
        metadata = {
            "kind": "section",
            "section_id": section.id,
            "title": section.title,
            "authority": section.authority,
            "release": release,
            "path": " > ".join(hit.path),
            "url": url,
            "quote": quote,
            "quote_url": text_fragment_url(url, quote),
        }
        return NodeWithScore(node=_node(f"{release}:{section.id}", text, metadata), score=hit.score)

    def _example_node(self, release: str, hit: ExampleHit) -> NodeWithScore:
        example = hit.example
        card = example_card(example, release)
        text = "\n".join(render_example(card, MARKDOWN)[1:])  # the title is in the metadata
        metadata = {
            "kind": "example",
            "example_id": example.id,
            "section_id": example.section_id,
            "title": example.title,
            "authority": hit.section.authority,
            "release": release,
            "labels": example.labels,
            "url": section_url(release, example.section_id),
        }
        return NodeWithScore(node=_node(f"{release}:{example.id}", text, metadata), score=hit.score)


def _node(node_id: str, text: str, metadata: dict[str, Any]) -> TextNode:
    return TextNode(
        id_=node_id,
        text=text,
        metadata=metadata,
        excluded_llm_metadata_keys=[k for k in _HIDDEN_FROM_LLM if k in metadata],
        excluded_embed_metadata_keys=list(metadata),
    )


def release_filters(release: str) -> MetadataFilters:
    """Filters that keep one release's chunks (the collection holds every indexed release)."""
    return MetadataFilters(filters=[ExactMatchFilter(key="release", value=release)])


def spec_vector_index(components: Components) -> VectorStoreIndex:
    """The active Chroma collection as a llama-index ``VectorStoreIndex``, queried with the model
    the index was built with."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    manifest = components.corpus().manifest
    if components.embedder.name != manifest.embed_model:
        raise SpecIndexError(
            f"the index was built with embedding model {manifest.embed_model!r}, "
            f"not {components.embedder.name!r}; re-run `specqa ingest`"
        )
    collection = components.store.collection(manifest.collection)
    return VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=collection),
        embed_model=SpecEmbedding(components.embedder),
    )


def open_components(index_dir: str | Path | None = None) -> Components:
    """The index in ``index_dir`` (default: ``SPECQA_INDEX_DIR``) with its model, opened once."""
    settings = DomainSettings()
    if index_dir is not None:
        settings = settings.updated(index_dir=Path(index_dir))
    return build_components(settings)


def spec_retriever(
    index_dir: str | Path | None = None,
    *,
    release: str | None = None,
    k_sections: int = 5,
    k_examples: int = 3,
    components: Components | None = None,
) -> SpecRetriever:
    """A :class:`SpecRetriever` over the index in ``index_dir`` (or over ``components``)."""
    parts = components or open_components(index_dir)
    return SpecRetriever(
        parts.retriever,
        release=release,
        k_sections=k_sections,
        k_examples=k_examples,
        section_chars=parts.settings.llm.section_chars,
    )


def spec_query_engine(
    index_dir: str | Path | None = None, *, llm: LLM | None = None, **retriever_args: Any
) -> RetrieverQueryEngine:
    """A query engine over :func:`spec_retriever`: written by ``llm``, or with no LLM the
    retrieved nodes alone (``response_mode="no_text"``, offline)."""
    retriever = spec_retriever(index_dir, **retriever_args)
    if llm is not None:
        return RetrieverQueryEngine.from_args(retriever, llm=llm)
    from llama_index.core.llms import MockLLM
    from llama_index.core.response_synthesizers.no_text import NoText

    # NoText never calls its LLM, but without one it resolves llama-index's default LLM (OpenAI),
    # and `from_args(response_mode="no_text")` does not pass ``llm`` on to it.
    return RetrieverQueryEngine(retriever, response_synthesizer=NoText(llm=MockLLM()))
