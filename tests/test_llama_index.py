"""The spec as llama-index parts: the retriever's nodes, the VectorStoreIndex over the same Chroma
collection, and the documented example run as a user would run it."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode

from server.composition.components import Components
from server.composition.llama import (
    SpecEmbedding,
    SpecRetriever,
    release_filters,
    spec_query_engine,
    spec_retriever,
    spec_vector_index,
)
from specqa.core.embedding import Embedder
from specqa.core.errors import SpecIndexError
from tests.conftest import REPO

QUESTION = "Can the assistant write explicit erotica for an adult who asks for it?"
SECTION = "no_erotica_or_gore"
URL = f"https://model-spec.openai.com/2025-12-18.html#{SECTION}"


def test_the_spec_retriever_gives_the_hybrid_retrievers_sections_then_examples_as_nodes(
    parts: Components,
) -> None:
    nodes = spec_retriever(components=parts).retrieve(QUESTION)
    result = parts.retriever.search(QUESTION, k_sections=5, k_examples=3)

    expected = [h.section.id for h in result.sections] + [h.example.id for h in result.examples]
    got = [n.node.metadata.get("example_id") or n.node.metadata["section_id"] for n in nodes]
    assert got == expected
    assert [n.score for n in nodes] == [h.score for h in (*result.sections, *result.examples)]

    top = nodes[0].node.metadata
    assert top["kind"] == "section" and top["section_id"] == SECTION
    assert (top["title"], top["authority"], top["release"]) == (
        parts.service.section(SECTION).title,
        "system",
        "2025-12-18",
    )
    assert top["url"] == URL
    assert top["quote"] and top["quote"].split(" […] ")[0] in nodes[0].node.get_content()
    assert top["quote_url"].startswith(URL + ":~:text=")
    assert nodes[0].node.node_id == f"2025-12-18:{SECTION}"


def test_async_retrieval_gives_the_same_nodes_as_sync(parts: Components) -> None:
    retriever = SpecRetriever(parts.retriever)
    nodes = asyncio.run(retriever.aretrieve(QUESTION))
    assert [n.node.node_id for n in nodes] == [n.node.node_id for n in retriever.retrieve(QUESTION)]


def test_example_nodes_carry_their_labels_section_and_the_conversation_in_order(
    parts: Components,
) -> None:
    nodes = SpecRetriever(parts.retriever, k_sections=1, k_examples=3).retrieve(QUESTION)
    examples = [n.node for n in nodes if n.node.metadata["kind"] == "example"]
    assert len(examples) == 3
    rc = parts.corpus().get("2025-12-18")
    for node in examples:
        meta = node.metadata
        example = rc.examples_by_id[meta["example_id"]]
        assert meta["labels"] == example.labels and set(meta["labels"]) <= {"GOOD", "BAD", "OK"}
        assert meta["section_id"] == example.section_id
        assert meta["title"] == example.title
        assert meta["authority"] == rc.sections_by_id[example.section_id].authority
        assert meta["url"] == f"https://model-spec.openai.com/2025-12-18.html#{example.section_id}"
        text = node.get_content()
        assert text.index("*user*") < text.index(f"**{example.labels[0]}**")


def test_the_retriever_honours_the_release_and_the_counts_asked_for(parts: Components) -> None:
    nodes = SpecRetriever(
        parts.retriever, release="2025-02-12", k_sections=2, k_examples=1
    ).retrieve("Should the model reveal its system prompt?")
    assert [n.node.metadata["kind"] for n in nodes] == ["section", "section", "example"]
    assert {n.node.metadata["release"] for n in nodes} == {"2025-02-12"}
    assert all(
        n.node.metadata["url"].startswith("https://model-spec.openai.com/2025-02-12.html#")
        for n in nodes
    )


def test_a_query_engine_prompts_its_llm_with_the_sections_text_and_provenance(
    parts: Components,
) -> None:
    engine = RetrieverQueryEngine.from_args(SpecRetriever(parts.retriever), llm=MockLLM())
    response = engine.query(QUESTION)  # MockLLM answers with the prompt it was given
    top = response.source_nodes[0].node
    assert top.metadata["section_id"] == SECTION
    prompt = str(response)
    assert top.get_content(metadata_mode=MetadataMode.LLM) in prompt
    assert f"section_id: {SECTION}" in prompt and "authority: system" in prompt
    assert f"url: {URL}" in prompt and "quote_url" not in prompt
    assert top.get_content()[:200] in prompt and QUESTION in prompt


def test_without_an_llm_the_spec_query_engine_returns_the_nodes_offline(
    parts: Components,
) -> None:
    response = spec_query_engine(components=parts).query(QUESTION)
    assert response.response is None or str(response) in ("", "None")
    assert response.source_nodes[0].node.metadata["section_id"] == SECTION


def test_the_vector_store_index_queries_the_chroma_collection_with_the_index_model(
    parts: Components,
) -> None:
    index = spec_vector_index(parts)
    embed_model = index._embed_model
    assert isinstance(embed_model, SpecEmbedding)
    assert embed_model.model_name == parts.corpus().manifest.embed_model
    assert "+specqa-tuned-" in embed_model.model_name  # the session index uses the tuned model

    retriever = index.as_retriever(similarity_top_k=8, filters=release_filters("2025-12-18"))
    nodes = retriever.retrieve(QUESTION)
    assert len(nodes) == 8
    assert {n.node.metadata["release"] for n in nodes} == {"2025-12-18"}
    assert SECTION in [n.node.metadata["section_id"] for n in nodes[:3]]

    # Chroma's score is exp(-cosine distance) between our own query vector and the stored chunk.
    query = np.asarray(parts.embedder.embed_query(QUESTION))
    release = parts.corpus().get("2025-12-18")
    assert release.layout is not None
    for hit in nodes:
        if hit.node.node_id in release.layout.position:
            row = release.layout.position[hit.node.node_id]
            stored, text = release.vectors[row], release.chunks[row].text
        else:  # a sentence chunk: kept beside its section's other sentences, not in the layout
            texts, vectors = release.sentences.by_section[hit.node.metadata["section_id"]]
            at = texts.index(hit.node.get_content())
            stored, text = vectors[at], texts[at]
        assert hit.score == pytest.approx(math.exp(-(1 - float(query @ stored))), abs=1e-4)
        assert hit.node.get_content() == text


def test_the_vector_store_index_refuses_a_model_other_than_the_index_one(
    parts: Components, base_embedder: Embedder
) -> None:
    with pytest.raises(SpecIndexError, match="built with embedding model"):
        spec_vector_index(dataclasses.replace(parts, embedder=base_embedder))


def test_the_documented_llama_index_example_prints_the_governing_section_first(
    cli_env: dict[str, str],
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "docs/llama_index_example.py",
            QUESTION,
            "--index-dir",
            cli_env["SPECQA_INDEX_DIR"],
            "--show-prompt",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **cli_env, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)},
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"section  {SECTION}  (system, 2025-12-18)" in lines[0]
    assert lines[1].strip().startswith(URL + ":~:text=")
    assert any(" example  " in line and ("GOOD" in line or "BAD" in line) for line in lines)
    prompt = done.stdout.split("--- what the LLM read", 1)[1]
    assert f"section_id: {SECTION}" in prompt and QUESTION in prompt
