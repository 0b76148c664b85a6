"""What a search returns (sections, examples, how clearly the first won) and the filters it
takes: the vocabulary the answering service and every surface read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, get_args

from server.domain.retrieval.curated import BankMatch
from server.domain.retrieval.sentences import SentenceSimilarity
from server.domain.schemas import (
    AuthorityLevel,
    ExampleLabel,
    label_as_written,
    level_as_written,
)
from specqa.core.chunk_metadata import ChunkRecord
from specqa.core.errors import InputError
from specqa.core.spec import Example, Section

if TYPE_CHECKING:
    from server.domain.retrieval.corpus import ReleaseCorpus

__all__ = ["ExampleHit", "RankClarity", "RetrievalResult", "SearchFilters", "SectionHit"]

LABELS: tuple[str, ...] = get_args(ExampleLabel)
AUTHORITIES: tuple[str, ...] = get_args(AuthorityLevel)


@dataclass(frozen=True)
class SearchFilters:
    authority: str | None = None
    section: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        # as people type them: "ROOT", "good"; a blank filter filters nothing
        object.__setattr__(self, "authority", level_as_written(self.authority))
        object.__setattr__(self, "label", label_as_written(self.label))
        if self.authority is not None and self.authority not in AUTHORITIES:
            raise InputError(
                f"unknown authority {self.authority!r} (one of: {', '.join(AUTHORITIES)})"
            )
        if self.label is not None and self.label not in LABELS:
            raise InputError(f"unknown label {self.label!r} (one of: {', '.join(LABELS)})")

    def check(self, rc: ReleaseCorpus) -> None:
        """Filters that can match nothing in ``rc`` are an error that says why, not an empty
        list: an unknown section, or an authority no section of the release declares (the levels
        were renamed: "platform" became "root" and "system" in 2025-09-12)."""
        if self.section is not None:
            rc.section(self.section)
        levels = dict.fromkeys(s.authority for s in rc.parsed.sections if s.authority)
        if self.authority is not None and self.authority not in levels:
            raise InputError(
                f"no section of release {rc.release} has authority {self.authority!r} (its "
                f"levels: {', '.join(levels)}; 'platform' is the older name of root and system)"
            )

    def admits(self, section: Section, example: Example | None = None) -> bool:
        """Whether ``section`` (or ``example``, one of its examples) passes every filter: the
        authority, the section or one of its subsections, and a reply with the label."""
        if self.authority is not None and section.authority != self.authority:
            return False
        if self.section is not None and self.section not in (section.id, *section.parents):
            return False
        if example is None or self.label is None:
            return True
        return self.label.upper() in example.labels


@dataclass
class SectionHit:
    section: Section
    score: float
    path: list[str]
    chunks: list[ChunkRecord]


@dataclass
class ExampleHit:
    example: Example
    score: float
    section: Section


@dataclass(frozen=True)
class RankClarity:
    """How clearly the first section won: the raw material of an answer's confidence.

    ``margin`` is its fused score minus the second section's; ``agreement`` counts the single
    signals (dense over prose, dense over example keys, dense over bank questions, lexical) whose
    own best section is it. ``on_topic`` is the question's similarity to its closest bank
    question, ``off_topic`` to its closest curated question the spec does not cover; ``linked``
    whether the first two sections' prose links one to the other.
    """

    margin: float = 0.0
    agreement: int = 0
    on_topic: float = 0.0
    off_topic: float = 0.0
    off_topic_share: float = 0.0  # of the question's nearest curated questions, the share off topic
    # the first two sections link to each other (the self-harm rule points to the mental-health
    # one): a narrow margin between them is two parts of one answer, not a doubt between two
    linked: bool = False


@dataclass
class RetrievalResult:
    release: str
    sections: list[SectionHit]
    examples: list[ExampleHit]
    timings: dict[str, float] = field(default_factory=dict)
    clarity: RankClarity = field(default_factory=RankClarity)
    bank: list[BankMatch] = field(default_factory=list)  # closest bank questions, best first
    sentences: SentenceSimilarity | None = None  # the first section's, when asked for
    # the first section's id -> how many more of its examples matched than are shown (when the
    # question asks for examples)
    examples_unshown: dict[str, int] = field(default_factory=dict)
