"""Evaluation: retrieval and answer metrics over a question set, and the naive
baseline the hybrid retriever is compared with."""
