"""Answering, retrieval and release comparison on top of the parsed Model Spec."""
