"""The active index held in memory: every chunk of every release (the newest read at load, an
older one when first asked for), the parsed sections and examples they carry, and a BM25 index
per release.

Loaded from the vector store (embedded or server) so that a server process needs nothing but the
index; :class:`server.composition.index_handle.CorpusHandle` rebuilds it when the pointer moves.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import bm25s
import Stemmer

from server.domain.retrieval.chunks import ChunkLayout, key_weights
from server.domain.retrieval.sentences import StoredSentences
from server.domain.retrieval.table_of_contents import TableOfContents, build_toc
from server.domain.retrieval.weights import CANDIDATES, CENTROID
from specqa.core.chunk_metadata import ChunkRecord
from specqa.core.embedding import Embedder
from specqa.core.errors import SpecIndexError, UnknownReleaseError, UnknownSectionError
from specqa.core.names import did_you_mean, resolve_release
from specqa.core.spec import Example, ParsedRelease, Section
from specqa.core.store import CHUNKER_VERSION, IndexManifest, VectorStore

__all__ = [
    "Corpus",
    "ReleaseCorpus",
    "lexical_tokens",
    "section_ids_in",
]

_STEMMER = Stemmer.Stemmer("english")


def lexical_tokens(texts: list[str]) -> list[list[str]]:
    """The one tokenizer for BM25: lowercase, English stopwords out, Snowball stems."""
    tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )
    return [list(t) for t in tokens]


# a title of fewer stems ("Stay in bounds", "Express uncertainty") is a phrase anyone may use
_TITLE_STEMS_MIN = 3


def _title_stems(sections: list[Section]) -> dict[str, tuple[str, ...]]:
    stems = lexical_tokens([s.title for s in sections])
    return {
        s.id: tuple(words)
        for s, words in zip(sections, stems, strict=True)
        if len(words) >= _TITLE_STEMS_MIN
    }


@dataclass
class ReleaseCorpus:
    release: str
    parsed: ParsedRelease
    chunks: list[ChunkRecord]
    bm25: bm25s.BM25 = field(repr=False)
    sections_by_id: dict[str, Section] = field(default_factory=dict)
    examples_by_id: dict[str, Example] = field(default_factory=dict)
    centroids: Any = field(default=None, repr=False)  # (sections x dim) unit vectors, section order
    layout: ChunkLayout | None = field(default=None, repr=False)
    hub_prior: Any = field(default=None, repr=False)  # per-section discount (see _hub_prior)
    vectors: Any = field(default=None, repr=False)  # (chunks x dim) unit vectors, chunk order
    toc: TableOfContents | None = field(default=None, repr=False)  # for LLM routing
    sentences: StoredSentences = field(default_factory=lambda: StoredSentences({}), repr=False)
    # section id -> its title's stems, for a title asked in other inflections ("the rule on
    # avoiding hateful content directed at protected groups")
    title_stems: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def section(self, section_id: str) -> Section:
        try:
            return self.sections_by_id[section_id]
        except KeyError:
            hint = did_you_mean(section_id, self.sections_by_id)
            raise UnknownSectionError(
                f"no section {section_id!r} in release {self.release}{hint}"
            ) from None

    def chunk_layout(self) -> ChunkLayout:
        """The layout built at load; a release loaded without one cannot be ranked."""
        if self.layout is None:
            raise SpecIndexError(f"release {self.release} was loaded without its chunk layout")
        return self.layout

    def path(self, section: Section) -> list[str]:
        """The section's heading path, outermost first (built once per release, at load)."""
        if self.layout is not None and section.id in self.layout.section_order:
            return self.layout.paths[self.layout.section_order[section.id]]
        return self.parsed.path_titles(section)


class Corpus:
    """Everything retrieval needs, keyed by release: the index's chunks with their vectors, so
    that a query's nearest chunks can be found in memory as well as by Chroma.

    The newest release is loaded at once and an older one when it is first asked for: reading
    a release from Chroma is most of a cold start (about a second and a half each on a 2-core
    machine), and most questions ask the newest."""

    def __init__(
        self,
        manifest: IndexManifest,
        releases: dict[str, ReleaseCorpus],
        load_release: Callable[[str], ReleaseCorpus],
        not_covered: Any = None,
    ) -> None:
        self.manifest = manifest
        self.embedder: Embedder | None = None  # the model its vectors were made with, once known
        # (questions x dim) unit vectors of the curated questions the spec does not cover
        self.not_covered = (
            not_covered if not_covered is not None else _no_vectors(manifest.dimension)
        )
        self._names = sorted(manifest.releases)  # the manifest of a build never changes
        self._loaded = dict(releases)
        self._load_release = load_release
        self._loading = threading.Lock()

    @classmethod
    def load(cls, store: VectorStore, expected_model: str | None = None) -> Corpus:
        manifest = _usable_manifest(store, expected_model)

        def load_release(name: str) -> ReleaseCorpus:
            stats = manifest.releases[name]
            records, vectors = store.stored_chunks(
                manifest.collection,
                stats.chunks - stats.sentences,
                where={"$and": [{"release": name}, {"kind": {"$ne": "sentence"}}]},
            )
            sentences = store.stored_chunks(
                manifest.collection,
                stats.sentences,
                where={"$and": [{"release": name}, {"kind": "sentence"}]},
            )
            return _release_corpus(name, records, vectors, StoredSentences.of(*sentences))

        in_releases = sum(stats.chunks for stats in manifest.releases.values())
        _, off_topic = store.stored_chunks(
            manifest.collection, manifest.total_chunks - in_releases, where={"kind": "not_covered"}
        )
        newest = manifest.newest_release
        return cls(
            manifest,
            {newest: load_release(newest)},
            load_release,
            _unit_rows(off_topic) if len(off_topic) else None,
        )

    @property
    def names(self) -> list[str]:
        return list(self._names)

    @property
    def loaded(self) -> list[str]:
        """The releases loaded so far (the newest at once, each other one on first use)."""
        return list(self._loaded)

    @property
    def newest(self) -> str:
        return self.manifest.newest_release

    def get(self, release: str | None) -> ReleaseCorpus:
        name = resolve_release(release, self._names) or self.newest
        if name not in self.manifest.releases:
            known = ", ".join(self._names)
            hint = did_you_mean(name, self._names)
            raise UnknownReleaseError(f"unknown release {name!r}{hint} (indexed: {known})")
        return self._release(name)

    def _release(self, name: str) -> ReleaseCorpus:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        with self._loading:  # one load per release, however many requests ask for it at once
            if name not in self._loaded:
                self._loaded[name] = self._load_release(name)
            return self._loaded[name]


def _usable_manifest(store: VectorStore, expected_model: str | None) -> IndexManifest:
    """The active index's manifest, or SpecIndexError saying why it cannot be served."""
    manifest = store.manifest()
    if manifest is None:
        where = store.url if store.remote else store.chroma_dir.parent if store.chroma_dir else "?"
        raise SpecIndexError(f"no index has been built yet in {where}; run `specqa ingest`")
    if manifest.chunker_version != CHUNKER_VERSION:
        raise SpecIndexError(
            f"the index was built by another version of specqa (index format "
            f"{manifest.chunker_version}, this one reads {CHUNKER_VERSION}); re-run `specqa ingest`"
        )
    if expected_model is not None and manifest.embed_model != expected_model:
        raise SpecIndexError(
            f"the index was built with embedding model {manifest.embed_model!r} but "
            f"{expected_model!r} is configured; re-run `specqa ingest` or change SPECQA_EMBED_MODEL"
        )
    return manifest


def _no_vectors(dimension: int) -> Any:
    import numpy as np

    return np.zeros((0, dimension), dtype=np.float32)


def _release_corpus(
    release: str, chunks: list[ChunkRecord], stored: Any, sentences: StoredSentences
) -> ReleaseCorpus:
    """``stored``: the chunks' vectors as the index holds them, one row per chunk."""
    carriers = sorted(
        (c for c in chunks if "section_json" in c.metadata),
        key=lambda c: c.metadata["position"],
    )
    sections = [Section.model_validate_json(c.metadata["section_json"]) for c in carriers]
    examples = [
        Example.model_validate_json(c.metadata["example_json"])
        for c in chunks
        if c.kind == "example"
    ]
    parsed = ParsedRelease(release=release, sections=sections, examples=examples)
    layout = ChunkLayout.of(parsed, chunks)
    centroids, vectors = _centroids(layout, stored), _unit_rows(stored)
    return ReleaseCorpus(
        release=release,
        parsed=parsed,
        chunks=chunks,
        bm25=_bm25([c.text for c in chunks]),
        sections_by_id={s.id: s for s in sections},
        examples_by_id={e.id: e for e in examples},
        centroids=centroids,
        layout=layout,
        hub_prior=_hub_prior(layout, vectors, centroids),
        vectors=vectors,
        toc=build_toc(release, sections),
        sentences=sentences,
        title_stems=_title_stems(sections),
    )


def _centroids(layout: ChunkLayout, stored: Any) -> Any:
    """The normalised mean of each section's chunk vectors: the section's topic as a whole
    (a section with no chunk gets a zero row)."""
    import numpy as np

    own = ~layout.is_bank  # the section's own text and examples, not the questions filed under it
    sums = np.zeros((len(layout.paths), stored.shape[1]), dtype=np.float64)
    np.add.at(sums, layout.section_of[own], stored[own])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _unit_rows(stored: Any) -> Any:
    """The vectors each scaled to length 1 (a dot product is then the cosine similarity Chroma's
    collections use)."""
    import numpy as np

    norms = np.linalg.norm(stored, axis=1, keepdims=True)
    return stored / np.where(norms > 0, norms, 1.0)


def _hub_prior(layout: ChunkLayout, vectors: Any, centroids: Any) -> Any:
    """Per section, its mean dense + centroid score when the release's chunks of *other* sections
    are the queries (dense as Chroma would give it: the top ``CANDIDATES`` only), centred:
    computed once when the release loads (about 60 ms)."""
    import numpy as np

    count = len(layout.paths)
    own = ~layout.is_bank  # the spec's own chunks: bank keys are ranked by a signal of their own
    vectors, section_of = vectors[own], layout.section_of[own]
    similarity = vectors @ vectors.T
    k = min(CANDIDATES, len(vectors))
    kth = -np.partition(-similarity, k - 1, axis=1)[:, k - 1 : k]
    dense = np.where(similarity >= kth, similarity, 0.0) * key_weights(layout)[own]
    best = np.stack(
        [
            dense[:, section_of == s].max(axis=1)
            if (section_of == s).any()
            else np.zeros(len(dense))
            for s in range(count)
        ],
        axis=1,
    )
    score = best + CENTROID * (vectors @ np.asarray(centroids).T)
    foreign = section_of[:, None] != np.arange(count)[None, :]
    prior = (score * foreign).sum(axis=0) / np.maximum(foreign.sum(axis=0), 1)
    return prior - prior.mean()


def _bm25(texts: list[str]) -> bm25s.BM25:
    index = bm25s.BM25()
    index.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False),
        show_progress=False,
    )
    return index


def section_ids_in(text: str, known: set[str]) -> list[str]:
    """Section ids written literally in a question (``avoid_sycophancy``, ``#do_not_lie``)."""
    return [
        token for token in re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", text.lower()) if token in known
    ]
