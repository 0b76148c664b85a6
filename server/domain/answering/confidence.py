"""How sure retrieval is that its first section governs the question.

Two signals of a :class:`~server.domain.retrieval.hybrid.RankClarity`: the fused score margin between the first
and second sections, and how many single signals (dense over prose, dense over example keys,
lexical) pick the same first section. The thresholds were set on the dev splits of
``tests/eval`` (all sets with both blind sets, 674 covered questions, tuned model, with the bank's
vote in the score, which about doubled the margins): "high" (margin >= 0.2, two signals agree) was
right 98% of the time there (n=388; from 0.2 to 0.4 it stays at 98%), "low" (margin < 0.1, at most
one signal agrees) 41% (n=100): more often wrong than right. A narrow margin between two
sections that link to each other (the self-harm rule and the mental-health one) is "medium": on
dev, of 6 such questions, 4 had the right section first, as medium answers do (0.71). ``specqa eval`` reports precision@1
per bucket on every split, and ``tests/test_answer.py`` holds the test splits to their order.
"""

from __future__ import annotations

from server.domain.retrieval.hybrid import RankClarity
from server.domain.schemas import Confidence

__all__ = [
    "HIGH_MARGIN",
    "LOW_MARGIN",
    "confidence_of",
]

HIGH_MARGIN = 0.2
LOW_MARGIN = 0.1


def confidence_of(clarity: RankClarity) -> Confidence:
    if clarity.margin >= HIGH_MARGIN and clarity.agreement >= 2:
        return "high"
    if clarity.margin < LOW_MARGIN and clarity.agreement <= 1 and not clarity.linked:
        return "low"
    return "medium"
