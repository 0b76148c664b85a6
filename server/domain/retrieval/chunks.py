"""The index's chunks as the read path holds them: each chunk with its metadata, and arrays over a
release's chunks (what kind each is, which section it belongs to) so that ranking is vector
arithmetic, not a Python loop."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from server.domain.retrieval.weights import EXAMPLE_DENSE, PROMPT_DENSE
from specqa.core.chunk_metadata import ChunkRecord
from specqa.core.spec import ParsedRelease

__all__ = ["TOPIC_SECTIONS", "ChunkLayout", "key_weights"]

# The sections only about one topic, by the words of their id or a parent's (the questions that may
# concern each are told in server.domain.retrieval.query_cues.TOPIC_CUES)
TOPIC_SECTIONS = {
    "voice": re.compile(r"voice"),
    "minors": re.compile(r"teen|minor|u18|under_18"),
    "sex_or_gore": re.compile(r"erotica|gore|sexual"),
    "politics": re.compile(r"politic"),
}


@dataclass(frozen=True)
class ChunkLayout:
    """Arrays over a release's chunks, so that ranking is vector arithmetic, not a Python loop."""

    position: dict[str, int]  # chunk id -> index
    section_order: dict[str, int]  # section id -> index in document order
    section_of: Any  # int array: index of each chunk's section in document order
    is_prose: Any  # bool array: section text or commentary
    is_example: Any  # bool array: a whole example (not its user-turn key)
    is_prompt: Any  # bool array: an example's user-turn key
    is_bank: Any  # bool array: a question-bank key
    bank_rows: Any  # int array: the indices of the bank keys
    own_rows: Any  # int array: the indices of every other chunk (the spec's own text)
    example_rows: Any  # int array: the indices of example and example-prompt chunks
    example_ids: list[str]  # each example with a key, once, in order of its first key
    example_slot: Any  # int array, one per example row: its example's index in example_ids
    bank_rows_of: dict[str, Any]  # section id -> int array: the indices of its bank keys
    topic_sections: dict[str, Any]  # topic -> bool array, section order: sections only about it
    paths: list[list[str]]  # heading path of each section, document order

    @cached_property
    def example_slots(self) -> dict[str, int]:
        """Example id -> its index in ``example_ids``."""
        return {example_id: slot for slot, example_id in enumerate(self.example_ids)}

    @classmethod
    def of(cls, parsed: ParsedRelease, chunks: list[ChunkRecord]) -> ChunkLayout:
        import numpy as np

        sections = parsed.sections
        order = {s.id: i for i, s in enumerate(sections)}
        kinds = [c.kind for c in chunks]
        examples = [
            (i, c.example_id)
            for i, c in enumerate(chunks)
            if c.kind in ("example", "example_prompt") and c.example_id is not None
        ]
        slots = {e: slot for slot, e in enumerate(dict.fromkeys(e for _, e in examples))}
        return cls(
            position={c.id: i for i, c in enumerate(chunks)},
            section_order=order,
            section_of=np.array([order[c.section_id] for c in chunks], dtype=np.int64),
            is_prose=np.array([k in ("section", "commentary") for k in kinds]),
            is_example=np.array([k == "example" for k in kinds]),
            is_prompt=np.array([k == "example_prompt" for k in kinds]),
            is_bank=np.array([k == "bank" for k in kinds], dtype=bool),
            bank_rows=np.array([i for i, k in enumerate(kinds) if k == "bank"], dtype=np.int64),
            own_rows=np.array([i for i, k in enumerate(kinds) if k != "bank"], dtype=np.int64),
            example_rows=np.array([i for i, _ in examples], dtype=np.int64),
            example_ids=list(slots),
            example_slot=np.array([slots[e] for _, e in examples], dtype=np.int64),
            bank_rows_of=_bank_rows_of(chunks),
            topic_sections={
                topic: np.array(
                    [any(words.search(part) for part in (s.id, *s.parents)) for s in sections],
                    dtype=bool,
                )
                for topic, words in TOPIC_SECTIONS.items()
            },
            paths=[parsed.path_titles(s) for s in sections],
        )


def _bank_rows_of(chunks: list[ChunkRecord]) -> dict[str, Any]:
    import numpy as np

    rows: dict[str, list[int]] = {}
    for index, chunk in enumerate(chunks):
        if chunk.kind == "bank":
            rows.setdefault(chunk.section_id, []).append(index)
    return {section: np.array(found, dtype=np.int64) for section, found in rows.items()}


def key_weights(layout: ChunkLayout) -> Any:
    """How much each chunk's dense match counts: whole examples x0.8, user turns and prose x1."""
    import numpy as np

    weights: Any = np.where(
        layout.is_example, EXAMPLE_DENSE, np.where(layout.is_prompt, PROMPT_DENSE, 1.0)
    )
    return weights
