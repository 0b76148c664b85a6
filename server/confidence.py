"""How sure retrieval is that its first section governs the question.

Two signals of a :class:`~server.retrieval.RankEvidence`: the fused score margin between the first
and second sections, and how many single signals (dense over prose, dense over example keys,
lexical) pick the same first section. The thresholds were set on the dev splits of
``tests/eval`` so that "high" is right (the first section is a governing one) at least 90% of the
time there; ``specqa eval`` reports precision@1 per bucket on every split, and
``tests/test_answer.py`` holds the floor on the test splits.
"""

from __future__ import annotations

from server.retrieval import RankEvidence
from server.schemas import Confidence

__all__ = ["HIGH_MARGIN", "LOW_MARGIN", "confidence_of"]

HIGH_MARGIN = 0.08
LOW_MARGIN = 0.02


def confidence_of(evidence: RankEvidence) -> Confidence:
    if evidence.margin >= HIGH_MARGIN and evidence.agreement >= 2:
        return "high"
    if evidence.margin < LOW_MARGIN and evidence.agreement <= 1:
        return "low"
    return "medium"
