"""Calibrate ``server.domain.precedents.matcher.RESEMBLANCE_THRESHOLD`` on the spec's own examples.

Each labelled response of a release is pasted as the reply to its example's first user turn, and
compared with the responses of the examples retrieved for that exchange: once as is (its own
example is a candidate: the reply should resemble itself, right id and label) and once with its own
example left out, and any example repeating it (same title or the same response text), as a
mismatch (: how close the nearest *other* response gets). Prints both, and the
threshold: the 95th percentile of the mismatches, rounded up to two decimals.

    .venv/bin/python scripts/calibrate_precedents.py [RELEASE]
"""

from __future__ import annotations

import math
import sys

import numpy as np

from server.composition.components import build_components
from server.domain.answering.service_lookups import PRECEDENT_CANDIDATES
from server.settings import Settings
from specqa.core.spec import Example


def _same(candidate: Example, example: Example, text: str) -> bool:
    """The example itself, or one repeating it (same title or the very same response text)."""
    return (
        candidate.id == example.id
        or candidate.title == example.title
        or any(" ".join(r.text.split()) == " ".join(text.split()) for r in candidate.responses)
    )


def main(release: str | None) -> None:
    parts = build_components(Settings())
    matcher = parts.service.precedents
    assert matcher is not None
    rc = parts.corpus().get(release)
    own_right = total = 0
    mismatches: list[float] = []
    agrees: list[bool] = []
    for example in rc.parsed.examples:
        user = next((t.content for t in example.conversation if t.role == "user"), "")
        for response in example.responses:
            if not response.text:
                continue
            total += 1
            found = parts.retriever.search(
                f"{user}\n{response.text}",
                rc.release,
                k_sections=3,
                k_examples=PRECEDENT_CANDIDATES,
                precedents=True,
            )
            candidates = [hit.example for hit in found.examples]
            own = matcher.verdict(response.text, rc.release, candidates).closest
            if own and own.example_id == example.id and own.label == response.label:
                own_right += 1
            others = [c for c in candidates if not _same(c, example, response.text)]
            other = matcher.verdict(response.text, rc.release, others).closest
            if other is not None:
                mismatches.append(other.similarity)
                agrees.append(other.label == response.label)
    values = np.array(mismatches)
    print(f"release {rc.release}: {total} labelled responses")
    print(f"own text: closest is its own example and label for {own_right}/{total}")
    for q in (50, 90, 95, 99, 100):
        print(f"mismatch p{q}: {np.percentile(values, q):.3f}")
    agree = np.array(agrees)
    for t in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        above_t = values >= t
        share = float(agree[above_t].mean()) if above_t.any() else float("nan")
        print(f"at {t:.2f}: {above_t.mean():.1%} of mismatches above, same label for {share:.1%}")
    threshold = math.ceil(float(np.percentile(values, 95)) * 100) / 100
    above = float((values >= threshold).mean())
    print(
        f"threshold (p95 of mismatches, rounded up): {threshold:.2f}; mismatches at or above: {above:.1%}"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
