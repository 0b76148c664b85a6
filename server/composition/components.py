"""Build the heavy parts once (embedding model, Chroma client, corpus, LLM client, feedback
store) and wire the answering service from them. The CLI and the app lifespan both call
:func:`build_components`; tests pass their own settings (or parts), and
:meth:`Components.derive` makes a set for other settings over the same loaded index."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.composition.index_handle import CorpusHandle
from server.domain.answering.language import LanguageGuess
from server.domain.answering.llm import LLMAnswerer
from server.domain.answering.service import AnsweringService
from server.domain.audit.judging import AuditJudge
from server.domain.audit.llm_judge import LLMJudge
from server.domain.feedback.store import FeedbackStore, open_feedback_store
from server.domain.precedents.matcher import PrecedentMatcher
from server.domain.retrieval.hybrid import HybridRetriever
from server.domain.settings import DomainSettings
from specqa.core.embedding import Embedder
from specqa.core.embedding_models import index_model_name, open_model
from specqa.core.errors import SpecQAError
from specqa.core.store import VectorStore

__all__ = ["Components", "build_components"]

# Index settings that do not decide which index is loaded or which model embeds the queries:
# the ingest's own, and how dense search runs (the retriever's, remade when it differs).
_NOT_THE_INDEX = {
    "tune_embeddings",
    "tuning_runs",
    "embed_batch_size",
    "chunk_max_tokens",
    "ingest_embed_threads",
    "dense_search",
}


def _serving_index(settings: DomainSettings) -> dict[str, Any]:
    """What decides the index a server answers from and the model its queries are embedded with
    (folder or Chroma server, model, backend, model cache, threads): two settings equal here
    can share one loaded index."""
    values = settings.index.model_dump(exclude=_NOT_THE_INDEX)
    return {
        name: value.resolve() if isinstance(value, Path) else value
        for name, value in values.items()
    }


@dataclass
class Components:
    settings: DomainSettings
    embedder: Embedder
    store: VectorStore
    corpus: CorpusHandle
    retriever: HybridRetriever
    service: AnsweringService
    feedback: FeedbackStore
    auditor: AuditJudge | None = None  # judged audits (with the LLM judge when one is set)

    @property
    def judge(self) -> AuditJudge:
        if self.auditor is None:
            llm = LLMJudge(self.settings) if self.settings.llm.enabled else None
            self.auditor = AuditJudge(self.service, llm)
        return self.auditor

    def shares_index_with(self, settings: DomainSettings) -> bool:
        """Whether ``settings`` serve the same index as these parts (see :func:`_serving_index`),
        so :meth:`derive` can reuse it."""
        return _serving_index(settings) == _serving_index(self.settings)

    def derive(
        self, settings: DomainSettings, *, feedback: FeedbackStore | None = None
    ) -> Components:
        """Parts for ``settings``, which serve the same index: the model, the store, the loaded
        corpus (seconds to read and index), the retriever (unless dense search runs another
        way) and the precedent vectors are shared; the answering service, the LLM client, the
        feedback store (``feedback``, or one opened from ``settings``) and the judge are made
        from ``settings``. A ValueError when ``settings`` name another index or model (build
        those with :func:`build_components`)."""
        if not self.shares_index_with(settings):
            raise ValueError("these settings serve another index: build their own components")
        retriever = self.retriever
        if settings.index.dense_in_memory != self.settings.index.dense_in_memory:
            retriever = _retriever(settings, self.corpus, self.embedder, self.store)
        index = _IndexParts(self.embedder, self.store, self.corpus, retriever, self.languages)
        precedents = self.service.precedents or PrecedentMatcher(self.embedder)
        return _wire(settings, index, precedents, feedback)

    @property
    def languages(self) -> LanguageGuess | None:
        return self.service.languages


def build_components(
    settings: DomainSettings,
    *,
    embedder: Embedder | None = None,
    store: VectorStore | None = None,
    feedback: FeedbackStore | None = None,
) -> Components:
    store = store or VectorStore(settings)
    manifest = store.manifest()
    model = index_model_name(settings, manifest.embed_model if manifest else None)
    corpus = CorpusHandle(store, model)
    with ThreadPoolExecutor(1, thread_name_prefix="language-model") as loading:
        languages = loading.submit(LanguageGuess)  # a second of a cold start, alongside
        if embedder is None:
            # Load the index while the model loads: both are seconds of a cold start.
            warm = threading.Thread(target=_warm, args=(corpus,), name="corpus-warmup", daemon=True)
            warm.start()
            try:
                embedder = open_model(settings, model)
            finally:
                # A daemon thread still loading the index when the process exits on an error
                # crashes the interpreter's shutdown (a segfault instead of exit 2).
                warm.join()
        # a new build made with another model (a new tuning) is served with that model, opened then
        corpus.use(embedder, lambda name: open_model(settings, index_model_name(settings, name)))
        retriever = _retriever(settings, corpus, embedder, store)
        index = _IndexParts(embedder, store, corpus, retriever, languages.result())
    return _wire(settings, index, PrecedentMatcher(embedder), feedback)


@dataclass
class _IndexParts:
    """What one loaded index is served with (what :meth:`Components.derive` shares)."""

    embedder: Embedder
    store: VectorStore
    corpus: CorpusHandle
    retriever: HybridRetriever
    languages: LanguageGuess | None


def _retriever(
    settings: DomainSettings, corpus: CorpusHandle, embedder: Embedder, store: VectorStore
) -> HybridRetriever:
    return HybridRetriever(corpus, embedder, store, in_memory=settings.index.dense_in_memory)


def _wire(
    settings: DomainSettings,
    index: _IndexParts,
    precedents: PrecedentMatcher,
    feedback: FeedbackStore | None,
) -> Components:
    """The settings' own parts (service, LLM client, feedback store, judge) over ``index``."""
    llm = LLMAnswerer(settings) if settings.llm.enabled else None
    service = AnsweringService(
        settings,
        index.corpus,
        index.retriever,
        llm,
        precedents=precedents,
        languages=index.languages,
    )
    feedback = feedback or open_feedback_store(settings)  # connects on first use
    judge = AuditJudge(service, LLMJudge(settings) if settings.llm.enabled else None)
    return Components(
        settings,
        index.embedder,
        index.store,
        index.corpus,
        index.retriever,
        service,
        feedback,
        judge,
    )


def _warm(corpus: CorpusHandle) -> None:
    with contextlib.suppress(SpecQAError):  # /readyz and the first request report it
        corpus()
