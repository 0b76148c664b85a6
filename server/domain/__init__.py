"""The read domain: corpus, retrieval, the answering service, diffs and changes."""
