"""Retrieval and answer eval over a JSONL question set.

Each line is ``{"question", "sections", "split"?}``: ``split`` is ``dev`` (tuned on) or ``test``
(only reported). Optional fields add answer metrics: ``sentences`` (acceptable bottom lines,
verbatim), ``answer`` (the short answer the spec gives: yes, no, it depends, or null for none) and
``covered`` (false for a question the spec does not govern; its ``sections`` may be empty).

Retrieval: recall@k, MRR and latency over the covered questions, and how often the first section
is right in each confidence bucket. Answers: citations per answer and the share of them that
govern, how often the bottom line is an acceptable sentence, how often a short answer is shown and
right, and how often a question is judged off topic, rightly or wrongly."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from specqa.core.errors import InputError
from specqa.core.jsonl import jsonl_rows
from specqa.core.question_bank import normalise_quotes

__all__ = ["SPLITS", "EvalQuestion", "Judged", "Ranked", "evaluate", "load_questions"]

KS = (1, 3, 5, 10)
SPLITS = ("dev", "test")
CONFIDENCES = ("high", "medium", "low")
Ranked = tuple[list[str], str | None]
"""Section ids best first, and the confidence of the first (None when the retriever has none)."""
_MISSING = "missing"


@dataclass(frozen=True)
class Judged:
    """What an answer led with, as the eval compares it."""

    cited: list[str]
    bottom_line: str | None
    short_answer: str | None
    covered: bool
    confidence: str | None


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    sections: list[str]
    split: str | None = None
    sentences: list[str] = field(default_factory=list)
    answer: str | None = _MISSING  # the key absent: the set says nothing of short answers
    covered: bool = True


def load_questions(path: Path, split: str | None = None) -> list[EvalQuestion]:
    """The questions of ``path``; only those of ``split`` (dev or test) when it is given."""
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown split {split!r} (one of: {', '.join(SPLITS)})")
    questions = [q for q in _read(path) if split is None or q.split == split]
    if not questions:
        raise InputError(f"{path} holds no questions" + (f" in split {split!r}" if split else ""))
    return questions


def _read(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, row in jsonl_rows(path, "questions file"):
        try:
            questions.append(_question(row))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f'{path}:{number}: expected {{"question": ..., "sections": [...]}} ({exc})'
            ) from exc
    return questions


def _question(row: dict[str, object]) -> EvalQuestion:
    covered = bool(row.get("covered", True))
    sections = row.get("sections", [] if not covered else None)
    if not isinstance(sections, list):
        raise TypeError("sections must be a list")
    sentences = row.get("sentences", [])
    answer = row.get("answer", _MISSING)
    return EvalQuestion(
        str(row["question"]),
        [str(s) for s in sections],
        None if row.get("split") is None else str(row["split"]),
        [str(s) for s in sentences] if isinstance(sentences, list) else [],
        None if answer is None else str(answer),
        covered,
    )


def evaluate(
    questions: list[EvalQuestion],
    rank: Callable[[str], Ranked],
    judge: Callable[[str], Judged] | None = None,
) -> dict[str, float]:
    """``rank`` returns section ids best first and a confidence; a hit is any listed section in
    the top k. Per confidence bucket: how many questions fell in it and precision@1 there.
    ``judge``, when given, answers each question for the answer metrics."""
    on_topic = [q for q in questions if q.covered and q.sections]
    metrics: dict[str, float] = {"n": len(questions)}
    if on_topic:
        metrics |= _retrieval(on_topic, rank)
    if judge is not None:
        metrics |= _answers(questions, judge)
    return metrics


def _retrieval(questions: list[EvalQuestion], rank: Callable[[str], Ranked]) -> dict[str, float]:
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
    metrics: dict[str, float] = {"n_ranked": n}
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


def _answers(questions: list[EvalQuestion], judge: Callable[[str], Judged]) -> dict[str, float]:
    cited: list[int] = []
    governing: list[bool] = []
    bottom: list[bool] = []
    shown: list[bool] = []
    short_right: list[bool] = []
    off_topic_caught: list[bool] = []
    off_topic_low: list[bool] = []
    on_topic_dropped: list[bool] = []
    for item in questions:
        judged = judge(item.question)
        if not item.covered:
            off_topic_caught.append(not judged.covered and judged.confidence == "low")
            off_topic_low.append(judged.confidence == "low")
            continue
        on_topic_dropped.append(not judged.covered)
        if item.sections:
            cited.append(len(judged.cited))
            governing += [section in item.sections for section in judged.cited]
        if item.sentences:
            acceptable = {normalise_quotes(s) for s in item.sentences}
            bottom.append(
                judged.bottom_line is not None
                and normalise_quotes(judged.bottom_line) in acceptable
            )
        if item.answer != _MISSING:
            shown.append(judged.short_answer is not None)
            if judged.short_answer is not None:
                short_right.append(judged.short_answer == item.answer)
    metrics: dict[str, float] = {}
    _share(metrics, "citations_per_answer", cited)
    _share(metrics, "cited_that_govern", governing)
    _share(metrics, "bottom_line_right", bottom)
    _share(metrics, "short_answer_shown", shown)
    _share(metrics, "short_answer_right", short_right)
    _share(metrics, "off_topic_said_not_covered", off_topic_caught)
    _share(metrics, "off_topic_low", off_topic_low)
    _share(metrics, "on_topic_said_not_covered", on_topic_dropped)
    return metrics


def _share(metrics: dict[str, float], name: str, values: list[bool] | list[int]) -> None:
    """The mean of ``values`` (a share for booleans) and how many there were."""
    if values:
        metrics[name] = round(sum(values) / len(values), 4)
        metrics[f"n_{name}"] = len(values)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
