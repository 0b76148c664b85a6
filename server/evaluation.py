"""Retrieval eval: recall@k, MRR and latency of a retriever over a JSONL question set."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specqa.errors import InputError

__all__ = ["EvalQuestion", "evaluate", "load_questions"]

KS = (1, 3, 5, 10)


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    sections: list[str]


def load_questions(path: Path) -> list[EvalQuestion]:
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
            questions.append(EvalQuestion(str(row["question"]), [str(s) for s in row["sections"]]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f'{path}:{number}: expected {{"question": ..., "sections": [...]}} ({exc})'
            ) from exc
    if not questions:
        raise InputError(f"{path} holds no questions")
    return questions


def evaluate(questions: list[EvalQuestion], rank: Callable[[str], list[str]]) -> dict[str, float]:
    """``rank`` returns section ids best first; a hit is any listed section in the top k."""
    first_hits: list[int | None] = []
    latencies: list[float] = []
    for item in questions:
        started = time.perf_counter()
        ranked = rank(item.question)
        latencies.append((time.perf_counter() - started) * 1000)
        positions = [ranked.index(s) for s in item.sections if s in ranked]
        first_hits.append(min(positions) if positions else None)
    n = len(questions)
    metrics: dict[str, float] = {"n": n}
    for k in KS:
        metrics[f"recall@{k}"] = round(sum(1 for p in first_hits if p is not None and p < k) / n, 4)
    metrics["mrr"] = round(sum(1 / (p + 1) for p in first_hits if p is not None and p < 10) / n, 4)
    metrics["p50_ms"] = round(statistics.median(latencies), 2)
    metrics["p95_ms"] = round(_percentile(latencies, 95), 2)
    return metrics


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
