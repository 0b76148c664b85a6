"""Fine-tune the embedding model on the spec itself, once per set of releases.

The base model (all-MiniLM-L6-v2) knows English, not the spec: a question in everyday words
("can my bot pretend to be human?") lands on sections that share its surface words. Tuning
teaches it which section governs which kind of text, from pairs made only from the spec:

* each example's title and each of its user turns → the example's section;
* each normative sentence ("should", "must", "never", ...) → its section;
* each section title → its section;
* each question-bank question → the section it is filed under: the way people ask, which the
  spec's own words cannot teach.

The section side of a pair is the section's text as retrieval sees it (heading path, then
body). Training is a contrastive loss with in-batch negatives (sentence-transformers'
``MultipleNegativesRankingLoss``); each batch holds one pair per section and is filled with
sections of one parent first, so the negatives a pair meets are its siblings first, then the rest.
No eval question is ever a training pair.

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

import hashlib
import json
import logging
import multiprocessing
import queue
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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
from specqa.core.spec import ParsedRelease, Section
from specqa.core.text import NORMATIVE, blocks, plain_text, split_sentences

__all__ = ["RECIPE", "Recipe", "TrainingPair", "TuningReport", "training_pairs", "tuned_embedder"]

log = logging.getLogger("specqa.tuning")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the tuned weights; its hash names the tuned model."""

    # 3: 80 tokens while training, no activation checkpointing (2: 128 tokens, checkpointing):
    # 225 s instead of 443 s on a CPU without AMX, level on the dev splits and the blind set
    version: int = 3
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 8e-5
    warmup_fraction: float = 0.1
    # while training (a section's heading path and first sentences); the tuned model reads as far
    # as the base model. Activation memory grows with it: 128 without checkpointing peaked at 3.4 GiB
    max_seq_length: int = 80
    scale: float = 20.0  # the loss's similarity scale (its default)
    seed: int = 13
    max_pairs_per_section: int = 28
    freeze_word_embeddings: bool = True  # fewer weights to move on ~1,000 pairs, less memory
    bf16: bool = True  # autocast matmuls to bfloat16: faster with AMX or AVX512-BF16, less memory
    checkpointing: bool = False  # recompute activations: less memory, ~45% more time


RECIPE = Recipe()


@dataclass(frozen=True)
class TrainingPair:
    anchor: str
    section_id: str


@dataclass
class TuningReport:
    model: str
    reused: bool
    recipe: int
    pairs: int = 0
    steps: int = 0
    seconds: float = 0.0
    peak_rss_mib: float = 0.0


def training_pairs(
    releases: Iterable[ParsedRelease], bank: Iterable[BankEntry] = ()
) -> list[TrainingPair]:
    """Anchor texts and the section each belongs to, from every release and the question bank
    (entries whose section no release has are left out), without duplicates."""
    pairs: dict[tuple[str, str], None] = {}
    known: set[str] = set()
    for parsed in releases:
        known.update(section.id for section in parsed.sections)
        for section in parsed.sections:
            pairs[(section.title, section.id)] = None
            for sentence in _normative_sentences(section.body):
                pairs[(sentence, section.id)] = None
        for example in parsed.examples:
            pairs[(plain_text(example.title), example.section_id)] = None
            for turn in example.conversation:
                if turn.role == "user" and turn.content.strip():
                    pairs[(plain_text(turn.content)[:1000], example.section_id)] = None
    for entry in bank:
        if entry.section_id in known:
            pairs[(entry.question, entry.section_id)] = None
    return [TrainingPair(anchor, section) for anchor, section in pairs if anchor]


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
    pairs = training_pairs(parsed, bank)
    texts = _section_texts(parsed)
    name = tuned_model_name(base.name, fingerprint(base.name, pairs, texts, recipe))
    folder = tuned_model_dir(settings.index.model_cache_path, name)
    report = TuningReport(name, (folder / "config.json").is_file(), recipe.version)
    if not report.reused:
        require_ingest_extra(
            f"tuning {base.name} on these releases trains it with torch (SPECQA_TUNE_EMBEDDINGS=false skips it)"
        )
        started = time.perf_counter()
        report.pairs = len(pairs)
        job = _Job(settings, pairs, texts, _parents(parsed), name, recipe)
        report.steps, report.peak_rss_mib = _run_in_child(job, progress)
        report.seconds = time.perf_counter() - started
        log.info("tuned %s on %d pairs in %.0f s", name, report.pairs, report.seconds)
    return open_model(settings, name, for_ingest=True), report


def fingerprint(
    base_name: str, pairs: list[TrainingPair], section_texts: dict[str, str], recipe: Recipe
) -> str:
    """What decides the tuned weights: the base model, the recipe, the pairs and the section
    texts they point to (not version numbers, which a change could forget to bump)."""
    payload = json.dumps(
        {
            "base": base_name,
            "recipe": asdict(recipe),
            "pairs": [[p.anchor, p.section_id] for p in pairs],
            "sections": section_texts,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _normative_sentences(body: str) -> list[str]:
    sentences = []
    for block in blocks(body):
        for sentence in split_sentences(" ".join(block.split())):
            plain = plain_text(sentence)
            if 6 <= len(plain.split()) <= 80 and NORMATIVE.search(plain):
                sentences.append(plain)
    return sentences


def _section_texts(releases: list[ParsedRelease]) -> dict[str, str]:
    """Each section as retrieval sees it (heading path, then body); the newest release wins."""
    texts: dict[str, str] = {}
    for parsed in sorted(releases, key=lambda p: p.release):
        for section in parsed.sections:
            texts[section.id] = _section_text(parsed, section)
    return texts


def _section_text(parsed: ParsedRelease, section: Section) -> str:
    return " > ".join(parsed.path_titles(section)) + "\n\n" + plain_text(section.body)


def _parents(releases: list[ParsedRelease]) -> dict[str, str]:
    return {s.id: (s.parent or "") for parsed in releases for s in parsed.sections}


def _batches(
    pairs: list[TrainingPair], parent_of: dict[str, str], recipe: Recipe, epoch: int
) -> list[list[TrainingPair]]:
    """One epoch's batches: at most one pair per section in a batch (the positives are section
    texts, so a repeat would be its own negative), sections of one parent side by side."""
    rng = random.Random(recipe.seed * 1000 + epoch)
    by_section: dict[str, list[TrainingPair]] = {}
    for pair in pairs:
        by_section.setdefault(pair.section_id, []).append(pair)
    for pending in by_section.values():
        rng.shuffle(pending)
        del pending[recipe.max_pairs_per_section :]
    families: dict[str, list[str]] = {}
    for section_id in sorted(by_section):
        families.setdefault(parent_of.get(section_id, ""), []).append(section_id)
    order = list(families.values())
    rng.shuffle(order)
    sections = [section_id for family in order for section_id in family]
    batches: list[list[TrainingPair]] = []
    while any(by_section.values()):
        ready = [s for s in sections if by_section[s]]
        for start in range(0, len(ready), recipe.batch_size):
            batch = [by_section[s].pop() for s in ready[start : start + recipe.batch_size]]
            if len(batch) > 1:  # a batch of one has no negative
                batches.append(batch)
    rng.shuffle(batches)
    return batches


@dataclass(frozen=True)
class _Job:
    """What the tuning child process needs (picklable)."""

    settings: CoreSettings
    pairs: list[TrainingPair]
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
        steps = _fit_and_save(
            job.settings,
            job.pairs,
            job.section_texts,
            job.parents,
            folder,
            job.recipe,
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
    pairs: list[TrainingPair],
    section_texts: dict[str, str],
    parent_of: dict[str, str],
    folder: Path,
    recipe: Recipe,
    progress: Progress | None,
) -> int:
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
    plan = [_batches(pairs, parent_of, recipe, epoch) for epoch in range(recipe.epochs)]
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
            anchors = model.preprocess([pair.anchor for pair in batch])
            positives = model.preprocess([section_texts[pair.section_id] for pair in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
                value = loss([anchors, positives], None)
            value.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if progress:
                progress(step, total)
    model.eval()
    model.max_seq_length = serving_length
    _save(model, folder)
    return step


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
