"""What the embedding model is tuned on, and in which batches (see :mod:`ingest.tuning`).

Two kinds of pairs, an anchor text and the text it should land closest to:

* **section pairs**: an anchor made from the spec or the question bank → its section's text.
  Each batch holds one pair per section, sections of one parent side by side, so the negatives
  a pair meets are its siblings first, then the rest.
* **sentence pairs**: a question-bank question → the sentence that answers it. Each batch holds
  questions of one section, each with a different sentence, so the negatives are the section's
  other sentences: which sentence of a section answers is what the bottom line is chosen by
  (server.domain.answering.bottom_line), and the section pairs alone pull all of a section's
  sentences together.

An epoch is both kinds of batches in one seeded random order, never one kind after the other.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace

from specqa.core.question_bank import BankEntry
from specqa.core.spec import ParsedRelease, Section
from specqa.core.text import NORMATIVE, blocks, plain_text, split_sentences

__all__ = [
    "RECIPE",
    "Batch",
    "Recipe",
    "SentencePair",
    "TrainingPair",
    "epoch_batches",
    "parents",
    "run_recipes",
    "section_batches",
    "section_texts",
    "sentence_batches",
    "sentence_pairs",
    "training_pairs",
]

Batch = list[tuple[str, str]]  # (anchor, positive text) pairs


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the tuned weights; its hash names the tuned model."""

    # 4: sentence pairs beside the section pairs (bottom line 348 → 374 of 479 dev questions,
    # recall@1 649 → 660 of 956). 3: 80 tokens while training, no activation checkpointing
    # (2: 128 tokens, checkpointing): 225 s instead of 443 s on a CPU without AMX
    version: int = 4
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
    # a sentence batch: this many of one section's sentences, each with one of its questions;
    # so many such batches a section an epoch (one: bottom line 362 of 479 dev questions)
    sentence_batch_size: int = 16
    sentence_batches_per_section: int = 2
    # the tuned weights are the mean of this many runs from the base model, each with its own
    # seed (SPECQA_TUNING_RUNS): two rank better than either alone, in twice the time
    runs: int = 1
    freeze_word_embeddings: bool = True  # fewer weights to move on ~1,000 pairs, less memory
    bf16: bool = True  # autocast matmuls to bfloat16: faster with AMX or AVX512-BF16, less memory
    checkpointing: bool = False  # recompute activations: less memory, ~45% more time


RECIPE = Recipe()


@dataclass(frozen=True)
class TrainingPair:
    """An anchor text and the section it belongs to."""

    anchor: str
    section_id: str


@dataclass(frozen=True)
class SentencePair:
    """A curated question and the sentence of its section that answers it (as plain text)."""

    question: str
    sentence: str
    section_id: str


def run_recipes(recipe: Recipe) -> list[Recipe]:
    """One recipe per run: the same but for the seed, which orders each run's batches."""
    return [replace(recipe, seed=recipe.seed + run) for run in range(recipe.runs)]


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
            for sentence in normative_sentences(section.body):
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


def sentence_pairs(
    releases: Iterable[ParsedRelease], bank: Iterable[BankEntry]
) -> list[SentencePair]:
    """Each bank question and its sentence, for the sections some release has, sorted."""
    known = {section.id for parsed in releases for section in parsed.sections}
    pairs = {
        SentencePair(entry.question, plain_text(entry.sentence), entry.section_id)
        for entry in bank
        if entry.section_id in known
    }
    return sorted(pairs, key=lambda p: (p.section_id, p.sentence, p.question))


def normative_sentences(body: str) -> list[str]:
    sentences = []
    for block in blocks(body):
        for sentence in split_sentences(" ".join(block.split())):
            plain = plain_text(sentence)
            if 6 <= len(plain.split()) <= 80 and NORMATIVE.search(plain):
                sentences.append(plain)
    return sentences


def section_texts(releases: list[ParsedRelease]) -> dict[str, str]:
    """Each section as retrieval sees it (heading path, then body); the newest release wins."""
    texts: dict[str, str] = {}
    for parsed in sorted(releases, key=lambda p: p.release):
        for section in parsed.sections:
            texts[section.id] = _section_text(parsed, section)
    return texts


def _section_text(parsed: ParsedRelease, section: Section) -> str:
    return " > ".join(parsed.path_titles(section)) + "\n\n" + plain_text(section.body)


def parents(releases: list[ParsedRelease]) -> dict[str, str]:
    return {s.id: (s.parent or "") for parsed in releases for s in parsed.sections}


def epoch_batches(
    pairs: list[TrainingPair],
    answering: list[SentencePair],
    texts: dict[str, str],
    parent_of: dict[str, str],
    recipe: Recipe,
    epoch: int,
) -> list[Batch]:
    """One epoch: the section batches and the sentence batches, in one seeded random order."""
    batches = [
        [(pair.anchor, texts[pair.section_id]) for pair in batch]
        for batch in section_batches(pairs, parent_of, recipe, epoch)
    ]
    batches += sentence_batches(answering, recipe, epoch)
    random.Random(recipe.seed * 7 + epoch).shuffle(batches)
    return batches


def section_batches(
    pairs: list[TrainingPair], parent_of: dict[str, str], recipe: Recipe, epoch: int
) -> list[list[TrainingPair]]:
    """One epoch's section batches: at most one pair per section in a batch (the positives are
    section texts, so a repeat would be its own negative), sections of one parent side by side."""
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


def sentence_batches(answering: list[SentencePair], recipe: Recipe, epoch: int) -> list[Batch]:
    """One epoch's sentence batches: per section, ``sentence_batches_per_section`` batches of up
    to ``sentence_batch_size`` of its sentences (a different random draw each), each sentence
    with one of its questions. A section with one answering sentence has no negative: none."""
    rng = random.Random(recipe.seed * 1000 + 500 + epoch)
    questions: dict[str, dict[str, list[str]]] = {}
    for pair in answering:
        questions.setdefault(pair.section_id, {}).setdefault(pair.sentence, []).append(
            pair.question
        )
    batches: list[Batch] = []
    for _ in range(recipe.sentence_batches_per_section):
        for section_id in sorted(questions):
            sentences = sorted(questions[section_id])
            rng.shuffle(sentences)
            chosen = sentences[: recipe.sentence_batch_size]
            if len(chosen) > 1:
                batches.append([(rng.choice(questions[section_id][s]), s) for s in chosen])
    return batches
