"""The hybrid ranking's weights (what each is for: :mod:`server.domain.retrieval.hybrid`). The corpus
uses some of them too: it computes each section's hub prior when it loads."""

from __future__ import annotations

__all__ = [
    "BANK_DENSE",
    "CANDIDATES",
    "CENTROID",
    "EXACT_BONUS",
    "EXAMPLE_DENSE",
    "EXAMPLE_LEXICAL",
    "HUB_PRIOR",
    "PROMPT_DENSE",
    "PROSE_LEXICAL",
]

BANK_DENSE = 1.0
EXAMPLE_DENSE = 0.8
PROMPT_DENSE = 1.0
PROSE_LEXICAL = 0.2
EXAMPLE_LEXICAL = 0.1
CENTROID = 0.4
EXACT_BONUS = 1.0
HUB_PRIOR = 0.5
CANDIDATES = 60  # nearest chunks asked of Chroma per query
