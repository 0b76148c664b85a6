"""The metadata every indexed chunk carries: the contract between the write path
(``ingest.chunking`` writes it) and the read path (``server.domain.retrieval.chunks`` and ``corpus`` read
it). A key written or read under another name is a type error, not a silent miss.

Chroma stores flat metadata (strings, numbers, booleans), so lists are joined with commas and the
parsed section and example ride along as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict

__all__ = ["CHUNK_KINDS", "ChunkKind", "ChunkMetadata", "ChunkRecord"]

ChunkKind = Literal[
    "section", "commentary", "example", "example_prompt", "bank", "not_covered", "sentence"
]
CHUNK_KINDS: tuple[ChunkKind, ...] = (
    "section",
    "commentary",
    "example",
    "example_prompt",
    "bank",
    "not_covered",
    "sentence",
)


class ChunkMetadata(TypedDict, total=False):
    # every chunk
    release: str  # the release, or "-" for the not-covered questions
    kind: ChunkKind
    section_id: str  # "" for a not-covered question
    content_hash: str  # of the embedded text: the embedding cache's key
    # every chunk of a section
    section_title: str
    section_path: str  # heading titles, outermost first, joined by " > "
    parents: str  # ancestor section ids, comma-joined
    level: int
    authority: str  # "" when the section has none
    attributes: str  # other heading attributes, JSON
    position: int  # the section's index in document order
    chunk_index: int  # of a sentence: its place among the section's quotable sentences
    passage: str  # the section text of this chunk ("" for examples and keys)
    section_json: str  # the parsed Section, on the section's first chunk only
    # examples and their user-turn keys
    example_id: str
    example_title: str
    labels: str  # comma-joined GOOD/BAD/OK
    has_good: bool
    has_bad: bool
    has_ok: bool
    example_json: str  # the parsed Example
    # question-bank keys
    bank_line: int
    bank_sentence: str  # as this release writes it; "" where it no longer says it (stale)
    bank_answer: str  # "" when the entry has none
    bank_voice: str


@dataclass(frozen=True)
class ChunkRecord:
    """One stored chunk as the read path holds it."""

    id: str
    text: str
    metadata: ChunkMetadata

    @property
    def kind(self) -> ChunkKind:
        return self.metadata["kind"]

    @property
    def section_id(self) -> str:
        return self.metadata["section_id"]

    @property
    def example_id(self) -> str | None:
        return self.metadata.get("example_id") or None
