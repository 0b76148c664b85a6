"""Retrieval eval: recall@k, MRR and latency of a retriever over a JSONL question set, and how
often the first section is right in each confidence bucket.

Each line is ``{"question", "sections", "split"?}``: ``split`` is ``dev`` (tuned on) or ``test``
(only reported); :func:`load_questions` keeps one split or all of them."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specqa.core.errors import InputError

__all__ = ["SPLITS", "EvalQuestion", "Ranked", "evaluate", "load_questions"]

KS = (1, 3, 5, 10)
SPLITS = ("dev", "test")
CONFIDENCES = ("high", "medium", "low")
Ranked = tuple[list[str], str | None]
"""Section ids best first, and the confidence of the first (None when the retriever has none)."""


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    sections: list[str]
    split: str | None = None


def load_questions(path: Path, split: str | None = None) -> list[EvalQuestion]:
    """The questions of ``path``; only those of ``split`` (dev or test) when it is given."""
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown split {split!r} (one of: {', '.join(SPLITS)})")
    questions = [q for q in _read(path) if split is None or q.split == split]
    if not questions:
        raise InputError(f"{path} holds no questions" + (f" in split {split!r}" if split else ""))
    return questions


def _read(path: Path) -> list[EvalQuestion]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read questions file {path}: {exc}") from exc
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(
                    str(row["question"]), [str(s) for s in row["sections"]], row.get("split")
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f'{path}:{number}: expected {{"question": ..., "sections": [...]}} ({exc})'
            ) from exc
    return questions


def evaluate(questions: list[EvalQuestion], rank: Callable[[str], Ranked]) -> dict[str, float]:
    """``rank`` returns section ids best first and a confidence; a hit is any listed section in
    the top k. Per confidence bucket: how many questions fell in it and precision@1 there."""
    first_hits: list[int | None] = []
    latencies: list[float] = []
    buckets: dict[str, list[bool]] = {}
    for item in questions:
        started = time.perf_counter()
        ranked, confidence = rank(item.question)
        latencies.append((time.perf_counter() - started) * 1000)
        positions = [ranked.index(s) for s in item.sections if s in ranked]
        first_hits.append(min(positions) if positions else None)
        if confidence is not None:
            buckets.setdefault(confidence, []).append(first_hits[-1] == 0)
    n = len(questions)
    metrics: dict[str, float] = {"n": n}
    for k in KS:
        metrics[f"recall@{k}"] = round(sum(1 for p in first_hits if p is not None and p < k) / n, 4)
    metrics["mrr"] = round(sum(1 / (p + 1) for p in first_hits if p is not None and p < 10) / n, 4)
    metrics["p50_ms"] = round(statistics.median(latencies), 2)
    metrics["p95_ms"] = round(_percentile(latencies, 95), 2)
    for confidence in CONFIDENCES:
        right = buckets.get(confidence)
        if right is not None:
            metrics[f"n_{confidence}"] = len(right)
            metrics[f"p@1_{confidence}"] = round(sum(right) / len(right), 4)
    return metrics


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
