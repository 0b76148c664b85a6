"""Retrieval: the index in memory (corpus, chunks, table of contents) and the hybrid
retriever that ranks its sections and examples for a question (weights, query cues, curated
questions, follow-ups). Imports nothing else of the domain but ``schemas``."""
