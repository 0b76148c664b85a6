"""Chunk invariants on the newest release, with the real tokenizer."""

from __future__ import annotations

from collections import Counter

from ingest.chunking import chunk_release
from specqa.core.embedding import Embedder
from tests.conftest import parsed


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_chunks_stay_inside_sections_fit_the_model_and_examples_are_single_chunks(
    embedder: Embedder,
) -> None:
    release = parsed("2025-12-18")
    chunks = chunk_release(release, embedder.count_tokens, 230)
    sections = {s.id: s for s in release.sections}
    for chunk in chunks:
        assert embedder.count_tokens(chunk.text) <= embedder.max_seq_length, chunk.id
        section = sections[str(chunk.metadata["section_id"])]
        if chunk.metadata["kind"] == "example_prompt":  # a bare user turn, pointing at its example
            assert chunk.metadata["example_id"] in section.example_ids
            continue
        assert chunk.text.startswith(" > ".join(release.path_titles(section)))
        if chunk.metadata["kind"] == "section":
            assert _squash(str(chunk.metadata["passage"])) in _squash(section.body)
    per_example = Counter(
        c.metadata.get("example_id") for c in chunks if c.metadata["kind"] == "example"
    )
    prompts = Counter(
        c.metadata["example_id"] for c in chunks if c.metadata["kind"] == "example_prompt"
    )
    assert set(prompts.values()) == {1}
    with_user_turn = {
        e.id
        for e in release.examples
        if e.responses and any(t.role == "user" for t in e.conversation)
    }
    assert set(prompts) == with_user_turn
    assert set(per_example) == {e.id for e in release.examples}
    assert set(per_example.values()) == {1}


def test_every_section_has_a_chunk_with_its_parsed_record(embedder: Embedder) -> None:
    release = parsed("2025-12-18")
    chunks = chunk_release(release, embedder.count_tokens, 230)
    carriers = [c for c in chunks if "section_json" in c.metadata]
    assert sorted(str(c.metadata["section_id"]) for c in carriers) == sorted(
        s.id for s in release.sections
    )


def test_a_small_budget_splits_long_sections_on_paragraphs(embedder: Embedder) -> None:
    release = parsed("2025-12-18")
    chunks = chunk_release(release, embedder.count_tokens, 96)
    prose = [
        c
        for c in chunks
        if c.metadata["section_id"] == "letter_and_spirit" and c.metadata["kind"] == "section"
    ]
    assert len(prose) > 3
    assert all(embedder.count_tokens(c.text) <= 96 for c in prose)


def test_chunking_is_deterministic(embedder: Embedder) -> None:
    release = parsed("2025-10-27")
    first = [(c.id, c.content_hash) for c in chunk_release(release, embedder.count_tokens, 230)]
    second = [(c.id, c.content_hash) for c in chunk_release(release, embedder.count_tokens, 230)]
    assert first == second
