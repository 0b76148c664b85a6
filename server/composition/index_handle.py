"""The index a server answers from, and the embedding model its queries need, switched together.

:class:`CorpusHandle` re-reads the index pointer (``current.json``, or the Chroma server's) at most
every ``check_every_s``. A new build made with the model already loaded is loaded while the old
one keeps serving, then swapped in. A build made with another model (an ingest that tuned a new
one, usually) needs that model too: it is opened on a thread of its own, off every request's path,
and the index and its model are swapped in together, so no query is ever embedded with one model
and compared with vectors of another. When the model cannot be opened, the previous index keeps
serving and :attr:`CorpusHandle.failure` (logged, and shown by ``/readyz``) says that a restart is
needed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from server.domain.retrieval.corpus import Corpus
from specqa.core.embedding import Embedder
from specqa.core.errors import SpecIndexError
from specqa.core.logs import get_logger
from specqa.core.store import IndexManifest, VectorStore

__all__ = ["CorpusHandle", "ModelOpener"]

log = get_logger(__name__)

ModelOpener = Callable[[str], Embedder]  # an index's recorded model name -> that model, opened


class CorpusHandle:
    """The current :class:`Corpus` (carrying its embedder), swapped when the pointer moves."""

    def __init__(
        self, store: VectorStore, expected_model: str | None, check_every_s: float = 2.0
    ) -> None:
        self._store = store
        self._model = expected_model
        self._every = check_every_s
        self._lock = threading.Lock()
        self._corpus: Corpus | None = None
        self._checked = 0.0
        self._failure: str | None = None  # the pointer problem last logged
        self._embedder: Embedder | None = None
        self._open_model: ModelOpener | None = None
        self._switching: str | None = None  # the collection whose model is being opened
        self._refused: str | None = None  # the collection whose model could not be opened

    def use(self, embedder: Embedder, open_model: ModelOpener | None = None) -> None:
        """Queries are embedded with ``embedder``; ``open_model`` opens the model a new build
        names (without it, such a build is refused until a restart)."""
        with self._lock:
            self._embedder, self._open_model = embedder, open_model
            if self._corpus is not None:
                self._corpus.embedder = embedder

    def __call__(self) -> Corpus:
        now = time.monotonic()
        if self._corpus is not None and now - self._checked < self._every:
            return self._corpus
        with self._lock:
            if self._corpus is None or now - self._checked >= self._every:
                self._refresh()
                self._checked = now
        assert self._corpus is not None
        return self._corpus

    @property
    def failure(self) -> str | None:
        """Why the pointer's index is not the one serving, when it is not."""
        return self._failure

    def _refresh(self) -> None:
        try:
            manifest = self._store.manifest()
            if self._corpus is not None and manifest is not None:
                if manifest.collection == self._corpus.manifest.collection:
                    self._failure = None
                    return
                if self._model is not None and manifest.embed_model != self._model:
                    self._switch_model(manifest)
                    return
            self._serve(Corpus.load(self._store, self._model), self._embedder)
        except SpecIndexError as exc:
            if self._corpus is None:
                raise
            self._keep_serving(exc.message)

    def _serve(self, corpus: Corpus, embedder: Embedder | None) -> None:
        corpus.embedder = embedder
        self._corpus, self._failure = corpus, None

    def _keep_serving(self, why: str) -> None:
        """A damaged pointer, a broken new build, a model that cannot be opened: the last good
        index goes on serving."""
        if why != self._failure:
            log.error(
                "the index pointer cannot be used (%s); still serving the last good index %s",
                why,
                self._corpus.manifest.collection if self._corpus else "",
            )
        self._failure = why

    # --- a build made with another model ----------------------------------------------------
    def _switch_model(self, manifest: IndexManifest) -> None:
        """Open the model ``manifest`` names on a thread of its own (once per build)."""
        if manifest.collection in (self._switching, self._refused):
            return
        if self._open_model is None:
            self._refuse(manifest, "this server cannot open models while it runs")
            return
        self._switching = manifest.collection
        log.info(
            "the index %s was built with embedding model %r: opening it (still serving %s)",
            manifest.collection,
            manifest.embed_model,
            self._corpus.manifest.collection if self._corpus else "",
        )
        threading.Thread(
            target=self._open_and_swap,
            args=(manifest, self._open_model),
            name="index-model-switch",
            daemon=True,
        ).start()

    def _open_and_swap(self, manifest: IndexManifest, open_model: ModelOpener) -> None:
        name = manifest.embed_model
        try:
            embedder = open_model(name)
            corpus = Corpus.load(self._store, name)
        except Exception as exc:  # whatever stops the model or its index from opening: refused
            log.exception(
                "the embedding model %r of index %s failed to open", name, manifest.collection
            )
            with self._lock:
                self._switching = None
                self._refuse(manifest, getattr(exc, "message", None) or repr(exc))
            return
        with self._lock:
            self._switching = None
            self._model, self._embedder = name, embedder
            self._serve(corpus, embedder)
        log.info("now serving index %s, embedding with %r", corpus.manifest.collection, name)

    def _refuse(self, manifest: IndexManifest, why: str) -> None:
        self._refused = manifest.collection
        self._keep_serving(
            f"the new index {manifest.collection} was built with embedding model "
            f"{manifest.embed_model!r}, which this server could not load ({why}); it keeps "
            f"serving the previous index with {self._model!r}: restart the server to serve the "
            "new one"
        )
