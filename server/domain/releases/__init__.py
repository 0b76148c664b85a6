"""Releases: diffs between two releases (sections, sentences, words), renames, a
section's history, and reading a question about change."""
