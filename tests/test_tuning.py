"""Fine-tuning the embedding model on the spec: the pairs, determinism, caching, the export, and
which indexes a server accepts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import IngestReport, run_ingest
from ingest.tuning import _fit_and_save, fingerprint
from ingest.tuning_data import (
    RECIPE,
    SentencePair,
    TrainingPair,
    epoch_batches,
    normative_sentences,
    parents,
    run_recipes,
    section_batches,
    section_texts,
    sentence_batches,
    sentence_pairs,
    training_pairs,
)
from server.settings import Settings
from specqa.core.embedding import Embedder
from specqa.core.embedding_models import index_model_name, onnx_artifact, tuned_model_dir
from specqa.core.errors import SpecIndexError
from specqa.core.question_bank import BankEntry, load_bank
from specqa.core.store import VectorStore
from specqa.core.text import plain_text
from tests.conftest import (
    RELEASES,
    REPO,
    cached_before_session,
    make_settings,
    parsed,
    run_cli,
    spec_dir,
)
from tests.helpers import start_ingest, wait_until
from tests.spec_sample import write_spec_sample

NEWEST = RELEASES[-1]


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def test_pairs_come_from_titles_normative_sentences_and_example_user_turns() -> None:
    release = parsed(NEWEST)
    pairs = {(p.anchor, p.section_id) for p in training_pairs([release])}
    example = next(e for e in release.examples if e.responses)
    assert any(a == example.title and s == example.section_id for a, s in pairs)
    user_turn = next(t.content for t in example.conversation if t.role == "user")
    assert any(_words(a) == _words(user_turn) and s == example.section_id for a, s in pairs)
    section = next(s for s in release.sections if s.id == "do_not_lie")
    assert ("Do not lie", "do_not_lie") in pairs or (section.title, section.id) in pairs
    sentences = normative_sentences(section.body)
    assert sentences and all((s, "do_not_lie") in pairs for s in sentences)
    assert all(re.search(r"should|must|never|not|may|avoid|always", s, re.I) for s in sentences)


def test_no_eval_question_is_a_training_pair() -> None:
    anchors = {_words(p.anchor) for p in training_pairs(parsed(r) for r in RELEASES)}
    for path in sorted((REPO / "tests" / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            question = _words(json.loads(line)["question"])
            assert question not in anchors, f"{path.name}: {question!r} is a training pair"


def test_a_batch_never_holds_two_pairs_of_one_section_and_siblings_share_batches() -> None:
    releases = [parsed(NEWEST)]
    pairs = training_pairs(releases)
    parent_of = parents(releases)
    batches = section_batches(pairs, parent_of, RECIPE, epoch=0)
    for batch in batches:
        sections = [p.section_id for p in batch]
        assert len(sections) == len(set(sections))
    first = batches[0] if len(batches[0]) == RECIPE.batch_size else max(batches, key=len)
    families = [parent_of[p.section_id] for p in first]
    assert max(families.count(f) for f in set(families)) > 1  # siblings meet as negatives
    assert section_batches(pairs, parent_of, RECIPE, epoch=0) == batches  # a fixed order


def test_tuning_is_deterministic(tmp_path: Path) -> None:
    release = parsed(NEWEST)
    pairs = [p for p in training_pairs([release]) if p.section_id in _FEW][:24]
    tiny = replace(RECIPE, epochs=1, batch_size=6, max_seq_length=32)
    settings = make_settings(tmp_path / "index", ingest_embed_threads=1)
    texts = {s.id: s.title + " " + s.body[:200] for s in release.sections}
    answering = [p for p in sentence_pairs([release], _bank()) if p.section_id in _FEW][:24]
    plan = [epoch_batches(pairs, answering, texts, parents([release]), tiny, epoch=0)]
    assert any(batch[0][1] not in texts.values() for batch in plan[0])  # sentence batches too
    digests = []
    for run in ("a", "b"):
        folder = tmp_path / run
        _fit_and_save(settings, [(tiny, plan)], folder, None)
        digests.append(_weights_digest(folder))
    assert digests[0] == digests[1]


def test_the_tuned_weights_are_the_mean_of_the_runs(tmp_path: Path) -> None:
    release = parsed(NEWEST)
    pairs = [p for p in training_pairs([release]) if p.section_id in _FEW][:12]
    tiny = replace(RECIPE, epochs=1, batch_size=4, max_seq_length=24, runs=2)
    settings = make_settings(tmp_path / "index", ingest_embed_threads=1)
    texts = {s.id: s.title + " " + s.body[:120] for s in release.sections}
    answering = [p for p in sentence_pairs([release], _bank()) if p.section_id in _FEW][:8]
    family = parents([release])
    plans = [[epoch_batches(pairs, answering, texts, family, run, 0)] for run in run_recipes(tiny)]
    assert plans[0] != plans[1]  # each run orders its batches by its own seed
    alone = []
    for run, plan in zip(run_recipes(tiny), plans, strict=True):
        _fit_and_save(settings, [(run, plan)], tmp_path / str(run.seed), None)
        alone.append(_weights(tmp_path / str(run.seed)))
    steps = []
    runs = list(zip(run_recipes(tiny), plans, strict=True))
    _fit_and_save(settings, runs, tmp_path / "mean", lambda done, _: steps.append(done))
    mean = _weights(tmp_path / "mean")
    assert steps == list(range(1, len(steps) + 1)) and len(steps) == sum(
        map(len, plans[0] + plans[1])
    )
    changed = [name for name in mean if not alone[0][name].equal(alone[1][name])]
    assert changed  # the two runs differ, and the mean lies between them
    for name in changed:
        assert (mean[name] - (alone[0][name] + alone[1][name]) / 2).abs().max() < 1e-6


def test_a_killed_ingest_takes_its_tuning_child_with_it(
    tmp_path: Path, base_embedder: Embedder, model_cache: Path
) -> None:
    """SIGKILL runs no clean-up in the ingest: its tuning child must notice and stop rather than
    train on with no one to read its model (it would save one at the end)."""
    cache = tmp_path / "models"  # the base model's export, shared; any tuned model lands here
    cache.mkdir()
    for entry in model_cache.iterdir():
        if not entry.name.startswith("tuned-") and "-specqa-tuned-" not in entry.name:
            (cache / entry.name).symlink_to(entry)
    sample = write_spec_sample(tmp_path / "spec", spec_dir())
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        **sample.env(),
        "SPECQA_INDEX_DIR": str(tmp_path / "index"),
        "SPECQA_MODEL_CACHE_DIR": str(cache),
        "SPECQA_TUNE_EMBEDDINGS": "true",
        "SPECQA_TUNING_RUNS": "4",  # minutes of training: the kill lands in the middle of it
    }
    ingest = start_ingest(env)
    try:
        child = wait_until(lambda: _tuning_child(ingest.pid), 120, "the tuning child to start")
        # past torch's import and the model's load (a few seconds of CPU): training
        wait_until(lambda: _cpu_seconds(child) > 20, 300, "the tuning child to train")
    finally:
        ingest.send_signal(signal.SIGKILL)
        ingest.wait(timeout=30)
    try:
        wait_until(lambda: not _running(child), 300, "the orphaned tuning child to stop")
    finally:
        if _running(child):  # the test failed: leave no CPU-bound orphan behind
            os.kill(child, signal.SIGKILL)
    assert not [path.name for path in cache.iterdir() if path.name.startswith("tuned-")]


def _tuning_child(parent: int) -> int | None:
    """The pid of ``parent``'s multiprocessing child (not its resource tracker), from /proc."""
    for folder in Path("/proc").glob("[0-9]*"):
        fields = _stat(folder.name)
        if fields is None or int(fields[1]) != parent:
            continue
        try:
            command = (folder / "cmdline").read_bytes()
        except OSError:  # the process ended while we looked
            continue
        if b"spawn_main" in command:
            return int(folder.name)
    return None


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    assert fields is not None, "the tuning child ended before it trained"
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit may never be reaped here)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _stat(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command's name (state first), or ``None``
    once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


_FEW = {"do_not_lie", "protect_privacy", "respect_creators", "avoid_sycophancy"}


def _weights(folder: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(next(folder.glob("*.safetensors"))))


def _weights_digest(folder: Path) -> str:
    weights = next(folder.glob("*.safetensors"))
    return hashlib.sha256(weights.read_bytes()).hexdigest()


def test_the_session_index_is_built_with_the_tuned_model_and_records_the_recipe(
    built: tuple[Settings, IngestReport], embedder: Embedder
) -> None:
    settings, report = built
    assert report.tuning is not None
    if cached_before_session(tuned_model_dir(settings.index.model_cache_path, report.tuning.model)):
        assert report.tuning.reused
    else:
        assert not report.tuning.reused
        assert report.tuning.pairs > 500 and report.tuning.steps > 0
    manifest = VectorStore(settings).manifest()
    assert manifest is not None
    assert manifest.embed_model == report.tuning.model == embedder.name
    assert manifest.embed_model.startswith("all-MiniLM-L6-v2+specqa-tuned-")
    assert manifest.tuning_recipe == RECIPE.version
    meta = json.loads(
        (onnx_artifact(settings.index.model_cache_path, embedder.name) / "meta.json").read_text()
    )
    assert meta["name"] == embedder.name and meta["max_difference"] <= 1e-4
    assert (
        tuned_model_dir(settings.index.model_cache_path, embedder.name) / "config.json"
    ).is_file()


def test_tuned_vectors_differ_from_the_base_model(
    embedder: Embedder, base_embedder: Embedder
) -> None:
    text = "Can my bot pretend to be a human?"
    tuned, base = embedder.embed_query(text), base_embedder.embed_query(text)
    assert sum(a * b for a, b in zip(tuned, base, strict=True)) < 0.999


def test_a_no_op_reingest_neither_retunes_nor_reembeds(
    built: tuple[Settings, IngestReport], base_embedder: Embedder
) -> None:
    settings, first = built
    again = run_ingest(settings, base_embedder, VectorStore(settings))
    assert again.tuning is not None and again.tuning.reused
    assert again.unchanged and again.embedded == 0
    assert again.collection == first.collection


def test_a_server_follows_the_index_model_and_refuses_another_base_model(
    built: tuple[Settings, IngestReport],
) -> None:
    settings, report = built
    assert report.tuning is not None
    tuned = report.tuning.model
    assert index_model_name(settings, tuned) == tuned
    assert index_model_name(settings, None) == "all-MiniLM-L6-v2"
    other = make_settings(settings.index.index_dir, embed_model="some/other-model")
    with pytest.raises(SpecIndexError, match="built with embedding model"):
        index_model_name(other, tuned)


def test_a_tuned_index_whose_model_is_missing_says_to_reingest(
    built: tuple[Settings, IngestReport], tmp_path: Path
) -> None:
    from specqa.core.embedding_models import open_model

    settings, report = built
    assert report.tuning is not None
    empty_cache = make_settings(settings.index.index_dir, model_cache_dir=tmp_path / "empty")
    with pytest.raises(SpecIndexError, match="re-run `specqa ingest`"):
        open_model(empty_cache, report.tuning.model)


def test_the_cli_exits_2_when_the_index_model_is_missing_while_the_index_still_loads(
    built: tuple[Settings, IngestReport], tmp_path: Path
) -> None:
    # a new process: the index loads on a thread beside the model, and an exit while it still
    # loaded used to crash the interpreter's shutdown (exit 139, a segfault) instead of exit 2
    settings, _ = built
    env = {
        "SPECQA_INDEX_DIR": str(settings.index.index_dir),
        "SPECQA_MODEL_CACHE_DIR": str(tmp_path / "empty"),
    }
    result = run_cli("ask", "Will it lie to me?", env=env, subprocess=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "re-run `specqa ingest`" in result.stderr


def test_training_pairs_are_unique() -> None:
    pairs = training_pairs(parsed(r) for r in RELEASES)
    assert len(pairs) == len(set(pairs))
    assert all(isinstance(p, TrainingPair) and p.anchor for p in pairs)


def _bank() -> list[BankEntry]:
    return load_bank(REPO / "spec" / "question_bank.jsonl")


def test_a_sentence_batch_holds_questions_of_one_section_each_with_another_sentence() -> None:
    release = parsed(NEWEST)
    answering = sentence_pairs([release], _bank())
    real = {(p.question, p.sentence): p.section_id for p in answering}
    batches = sentence_batches(answering, RECIPE, epoch=0)
    for batch in batches:
        sections = {real[pair] for pair in batch}  # a KeyError: not a bank question's own sentence
        assert len(sections) == 1
        sentences = [sentence for _, sentence in batch]
        assert 2 <= len(batch) <= RECIPE.sentence_batch_size
        assert len(sentences) == len(set(sentences))  # the other sentences are the negatives
    with_choices = {
        p.section_id
        for p in answering
        if len({q.sentence for q in answering if q.section_id == p.section_id}) > 1
    }
    assert len(batches) == RECIPE.sentence_batches_per_section * len(with_choices)
    assert sentence_batches(answering, RECIPE, epoch=0) == batches  # a fixed order
    assert sentence_batches(answering, RECIPE, epoch=1) != batches  # another draw each epoch


def test_sentence_pairs_are_plain_text_and_leave_out_sections_no_release_has() -> None:
    release = parsed(NEWEST)
    entry = next(e for e in _bank() if "\n" in e.sentence)  # a sentence over two lines
    pairs = sentence_pairs([release], [entry, entry.model_copy(update={"section_id": "gone"})])
    assert [p.section_id for p in pairs] == [entry.section_id]
    assert pairs[0] == SentencePair(entry.question, plain_text(entry.sentence), entry.section_id)
    assert pairs[0].sentence != entry.sentence


def test_an_epoch_interleaves_section_and_sentence_batches() -> None:
    release = parsed(NEWEST)
    bank = _bank()
    texts = section_texts([release])
    plan = epoch_batches(
        training_pairs([release], bank),
        sentence_pairs([release], bank),
        texts,
        parents([release]),
        RECIPE,
        epoch=0,
    )
    kinds = ["section" if batch[0][1] in texts.values() else "sentence" for batch in plan]
    assert {"section", "sentence"} == set(kinds)
    half = len(kinds) // 2
    assert "sentence" in kinds[:half] and "section" in kinds[half:]  # mixed, not one then other


def test_the_tuned_model_name_changes_with_the_sentence_pairs() -> None:
    release = parsed(NEWEST)
    bank = _bank()
    pairs, texts = training_pairs([release], bank), section_texts([release])
    answering = sentence_pairs([release], bank)
    name = fingerprint("base", pairs, answering, texts, RECIPE)
    assert fingerprint("base", pairs, answering, texts, RECIPE) == name
    assert fingerprint("base", pairs, answering[1:], texts, RECIPE) != name
    assert fingerprint("base", pairs, answering, texts, replace(RECIPE, runs=2)) != name
