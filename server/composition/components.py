"""Build the heavy parts once (embedding model, Chroma client, corpus, LLM client, feedback
store) and wire the answering service from them. The CLI and the app lifespan both call
:func:`build_components`; tests pass their own settings (or parts)."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from server.composition.index_handle import CorpusHandle
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
    if embedder is None:
        # Load the index while the model loads: both are seconds of a cold start.
        warm = threading.Thread(target=_warm, args=(corpus,), name="corpus-warmup", daemon=True)
        warm.start()
        embedder = open_model(settings, model)
        warm.join()
    # a new build made with another model (a new tuning) is served with that model, opened then
    corpus.use(embedder, lambda name: open_model(settings, index_model_name(settings, name)))
    retriever = HybridRetriever(corpus, embedder, store, in_memory=settings.index.dense_in_memory)
    llm = LLMAnswerer(settings) if settings.llm.enabled else None
    service = AnsweringService(
        settings, corpus, retriever, llm, precedents=PrecedentMatcher(embedder)
    )
    feedback = feedback or open_feedback_store(settings)  # connects on first use
    judge = AuditJudge(service, LLMJudge(settings) if settings.llm.enabled else None)
    return Components(settings, embedder, store, corpus, retriever, service, feedback, judge)


def _warm(corpus: CorpusHandle) -> None:
    with contextlib.suppress(SpecQAError):  # /readyz and the first request report it
        corpus()
