"""The Model Spec inside a llama-index query engine, offline (no LLM is needed to run this).

    python docs/llama_index_example.py "Should the model reveal its system prompt?" --index-dir index

The engine reads the governing sections and the labelled examples that specqa's hybrid retriever
picks, as llama-index nodes with their id, title, authority, release, labels and links in the
metadata. It runs here with llama-index's ``MockLLM``, which echoes the prompt it is given
(``--show-prompt`` prints it): put your own LLM there (``OpenAI(...)``, ``Ollama(...)``, ...) for a
written answer. ``server.composition.llama.spec_vector_index`` opens the same Chroma collection as a
``VectorStoreIndex``.
"""

from __future__ import annotations

import argparse

from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine

from server.composition.llama import spec_retriever


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("question")
    parser.add_argument("--index-dir", default=None, help="default: SPECQA_INDEX_DIR or ./index")
    parser.add_argument("--release", default=None, help="default: the newest indexed release")
    parser.add_argument("--show-prompt", action="store_true", help="print what the LLM reads")
    args = parser.parse_args()

    # The three lines: a retriever over the index, then any llama-index query engine or agent.
    retriever = spec_retriever(index_dir=args.index_dir, release=args.release)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())  # your LLM here
    response = engine.query(args.question)

    for hit in response.source_nodes:
        meta = hit.node.metadata
        ident = meta.get("example_id") or meta["section_id"]
        labels = " ".join(meta.get("labels", []))
        print(
            f"{hit.score or 0.0:6.3f}  {meta['kind']:<7}  {ident}  ({meta['authority']}, "
            f"{meta['release']})  {meta['title']}  {labels}".rstrip()
        )
        print(f"         {meta.get('quote_url') or meta['url']}")
    if args.show_prompt:
        print("\n--- what the LLM read (MockLLM echoes its prompt) ---")
        print(response.response)


if __name__ == "__main__":
    main()
