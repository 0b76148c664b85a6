"""Ingestion: spec sources, the parser, chunking, and building the index."""
