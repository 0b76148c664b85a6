"""Fine-tune the embedding model on the spec itself, once per set of releases.

The base model (all-MiniLM-L6-v2) knows English, not the spec: a question in everyday words
("can my bot pretend to be human?") lands on sections that share its surface words. Tuning
teaches it which section governs which kind of text, from pairs made only from the spec:

* each example's title and each of its user turns → the example's section;
* each normative sentence ("should", "must", "never", ...) → its section;
* each section title → its section;
* each question-bank question → the section it is filed under: the way people ask, which the
  spec's own words cannot teach;
* and each question-bank question → the sentence of its section that answers it, against the
  section's other sentences: what the bottom line is chosen by.

The section side of a pair is the section's text as retrieval sees it (heading path, then
body). Training is a contrastive loss with in-batch negatives (sentence-transformers'
``MultipleNegativesRankingLoss``); which pairs share a batch, and so meet as negatives, is
:mod:`ingest.tuning_data`'s. No eval question is ever a training pair.

The run is deterministic (fixed seed, deterministic torch kernels, a fixed batch order) and
cached by a fingerprint of what it is trained on (every pair, every section text), the base model
and the recipe: a re-ingest with nothing new reuses the tuned model, and any change to the pairs
(a new release, a bank entry, the pair-making code) tunes anew. The tuned model is exported to ONNX and checked like the base
model's export, and serves both passages and queries.

Written here, not with ``SentenceTransformerTrainer``: the trainer needs ``datasets`` and
``accelerate`` and gives no control over which pairs share a batch, which is the sibling-negative
part of the recipe; the loss itself is the library's.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import logging
import multiprocessing
import queue
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ingest.tuning_data import (
    RECIPE,
    Batch,
    Recipe,
    SentencePair,
    TrainingPair,
    epoch_batches,
    parents,
    run_recipes,
    section_texts,
    sentence_pairs,
    training_pairs,
)
from specqa.core.embedding import Embedder, default_model_path
from specqa.core.embedding_models import (
    onnx_artifact,
    open_model,
    require_ingest_extra,
    tuned_model_dir,
    tuned_model_name,
)
from specqa.core.errors import SpecIndexError
from specqa.core.question_bank import BankEntry
from specqa.core.settings import CoreSettings
from specqa.core.spec import ParsedRelease

__all__ = ["RECIPE", "Recipe", "TrainingPair", "TuningReport", "tuned_embedder"]

log = logging.getLogger("specqa.tuning")
# steps between heap trims (see _trim_heap). All five releases, 438 steps: every step 347 s and
# 2,463 MiB peak; every 2 steps 328 s, 2,672 MiB; every 16, 300 s, 3,127 MiB; never, 278 s, 3,394 MiB
_TRIM_EVERY = 2
Progress = Callable[[int, int], None]


@dataclass
class TuningReport:
    model: str
    reused: bool
    recipe: int
    pairs: int = 0  # anchor → section
    sentence_pairs: int = 0  # bank question → its sentence
    steps: int = 0
    seconds: float = 0.0
    peak_rss_mib: float = 0.0


def tuned_embedder(
    settings: CoreSettings,
    base: Embedder,
    releases: list[tuple[ParsedRelease, str]],
    progress: Progress | None = None,
    recipe: Recipe = RECIPE,
    bank: Iterable[BankEntry] = (),
) -> tuple[Embedder, TuningReport]:
    """The embedder tuned on ``releases`` (parsed release, sha256) and the question ``bank``:
    from the cache, or trained now."""
    parsed = [release for release, _ in releases]
    bank = list(bank)
    pairs, answering = training_pairs(parsed, bank), sentence_pairs(parsed, bank)
    texts = section_texts(parsed)
    name = tuned_model_name(base.name, fingerprint(base.name, pairs, answering, texts, recipe))
    folder = tuned_model_dir(settings.index.model_cache_path, name)
    report = TuningReport(name, (folder / "config.json").is_file(), recipe.version)
    if not report.reused:
        require_ingest_extra(
            f"tuning {base.name} on these releases trains it with torch (SPECQA_TUNE_EMBEDDINGS=false skips it)"
        )
        started = time.perf_counter()
        report.pairs, report.sentence_pairs = len(pairs), len(answering)
        job = _Job(settings, pairs, answering, texts, parents(parsed), name, recipe)
        report.steps, report.peak_rss_mib = _run_in_child(job, progress)
        report.seconds = time.perf_counter() - started
        log.info("tuned %s on %d pairs in %.0f s", name, report.pairs, report.seconds)
    return open_model(settings, name, for_ingest=True), report


def fingerprint(
    base_name: str,
    pairs: list[TrainingPair],
    answering: list[SentencePair],
    texts: dict[str, str],
    recipe: Recipe,
) -> str:
    """What decides the tuned weights: the base model, the recipe, the pairs and the section
    texts they point to (not version numbers, which a change could forget to bump)."""
    payload = json.dumps(
        {
            "base": base_name,
            "recipe": asdict(recipe),
            "pairs": [[p.anchor, p.section_id] for p in pairs],
            "sentence_pairs": [[p.question, p.sentence, p.section_id] for p in answering],
            "sections": texts,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class _Job:
    """What the tuning child process needs (picklable)."""

    settings: CoreSettings
    pairs: list[TrainingPair]
    answering: list[SentencePair]
    section_texts: dict[str, str]
    parents: dict[str, str]
    name: str
    recipe: Recipe


def _run_in_child(job: _Job, progress: Progress | None) -> tuple[int, float]:
    """Train and export in a child process: torch's training memory (about 2.5 GiB) is returned
    to the system when it ends, and the ingest itself stays small. Returns the steps taken and
    the child's peak RSS in MiB."""
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    child = context.Process(target=_child_main, args=(job, messages), name="specqa-tuning")
    child.start()
    steps, failure = 0, "the tuning process ended without a result"
    while child.is_alive() or not messages.empty():
        try:
            kind, *values = messages.get(timeout=0.5)
        except queue.Empty:
            continue
        if kind == "progress" and progress:
            progress(*values)
        elif kind == "done":
            steps, failure = values[0], ""
        elif kind == "error":
            failure = values[0]
    child.join()
    if failure or child.exitcode != 0:
        raise SpecIndexError(
            f"tuning the embedding model failed ({failure or f'exit code {child.exitcode}'}); "
            "set SPECQA_TUNE_EMBEDDINGS=false to index with the base model"
        )
    return steps, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _child_main(job: _Job, messages: Any) -> None:
    from specqa.core.onnx_export import export_onnx

    try:
        folder = tuned_model_dir(job.settings.index.model_cache_path, job.name)
        runs = [
            (
                run,
                [
                    epoch_batches(job.pairs, job.answering, job.section_texts, job.parents, run, e)
                    for e in range(run.epochs)
                ],
            )
            for run in run_recipes(job.recipe)
        ]
        steps = _fit_and_save(
            job.settings,
            runs,
            folder,
            lambda done, total: messages.put(("progress", done, total)),
        )
        artifact = onnx_artifact(job.settings.index.model_cache_path, job.name)
        export_onnx(
            str(folder), artifact, threads=job.settings.index.ingest_embed_threads, name=job.name
        )
        messages.put(("done", steps))
    except (SpecIndexError, RuntimeError, OSError, ValueError) as exc:
        messages.put(("error", f"{type(exc).__name__}: {exc}"))


def _fit_and_save(
    settings: CoreSettings,
    runs: list[tuple[Recipe, list[list[Batch]]]],
    folder: Path,
    progress: Progress | None,
) -> int:
    """Train one model from the base model per run (its recipe, and each epoch's batches in
    order) and save the mean of their weights to ``folder``; the steps taken. Two runs that
    differ only in the order of their batches land in one basin, and their mean ranks better
    than either."""
    import torch

    total = sum(len(epoch) for _, plan in runs for epoch in plan)
    done = 0
    mean: dict[str, Any] = {}
    model: Any = None
    for count, (recipe, plan) in enumerate(runs, start=1):
        model = None  # the last run's model is not needed while the next one trains
        model = _fit(settings, plan, recipe, _offset(progress, done, total))
        done += sum(len(epoch) for epoch in plan)
        with torch.no_grad():
            for name, weight in model.state_dict().items():
                if name not in mean:
                    mean[name] = weight.detach().clone()
                elif weight.is_floating_point():
                    mean[name].add_(weight - mean[name], alpha=1 / count)
    model.load_state_dict(mean)
    _save(model, folder)
    return done


def _offset(progress: Progress | None, done: int, total: int) -> Progress | None:
    """``progress`` for one run: its steps counted after the ``done`` of the runs before."""
    if progress is None:
        return None
    return lambda step, _: progress(done + step, total)


def _fit(
    settings: CoreSettings,
    plan: list[list[Batch]],
    recipe: Recipe,
    progress: Progress | None,
) -> Any:
    """The base model trained on ``plan`` with ``recipe``'s seed and settings, ready to embed
    (eval mode, serving length)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(recipe.seed)
    torch.set_num_threads(settings.index.ingest_embed_threads)
    torch.use_deterministic_algorithms(True)
    model: Any = SentenceTransformer(_base_path(settings), device="cpu")
    serving_length = model.max_seq_length
    model.max_seq_length = recipe.max_seq_length
    if recipe.freeze_word_embeddings:
        model[0].model.embeddings.word_embeddings.weight.requires_grad_(False)
    if recipe.checkpointing:
        model[0].model.activation_checkpointing_enable()
    loss = MultipleNegativesRankingLoss(model, scale=recipe.scale)
    total = sum(len(epoch) for epoch in plan)
    trainable = [weight for weight in model.parameters() if weight.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=recipe.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _warmup_then_decay(int(total * recipe.warmup_fraction), total)
    )
    model.train()
    step = 0
    for batches in plan:
        for batch in batches:
            if _parent_gone():
                raise SpecIndexError("the ingest that started this tuning run has ended")
            anchors = model.preprocess([anchor for anchor, _ in batch])
            positives = model.preprocess([positive for _, positive in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
                value = loss([anchors, positives], None)
            value.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % _TRIM_EVERY == 0:
                _trim_heap()
            if progress:
                progress(step, total)
    model.eval()
    model.max_seq_length = serving_length
    return model


def _parent_gone() -> bool:
    """Whether the ingest that started this tuning child has ended. A killed ingest (SIGTERM,
    SIGKILL) runs no clean-up, so without this its child trained on for minutes, holding both
    cores and 2.5 GiB for a model no one would read. In-process (tests) there is no parent."""
    parent = multiprocessing.parent_process()
    return parent is not None and not parent.is_alive()


def _trim_heap() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere
    nothing). Short sentence batches between long section batches fragment the heap: each step's
    large buffers land on new pages while the freed ones stay resident."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library, loaded once; ``None`` where it is not glibc."""
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def _warmup_then_decay(warmup: int, total: int) -> Callable[[int], float]:
    """The learning-rate factor: linear warm-up, then linear decay to zero."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def _base_path(settings: CoreSettings) -> str:
    return settings.index.embed_model or default_model_path()


def _save(model: Any, folder: Path) -> None:
    """Written aside, then renamed into place: a crash never leaves half a model."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tune-") as scratch:
        staging = Path(scratch) / "model"
        model.save(str(staging))
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
