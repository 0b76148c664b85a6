"""Fault tests (issue 7 item 3), each automated, bounded in time and on loopback only:

* the LLM endpoint down, too slow, answering 500/429 or garbage: extractive answers, flagged, counted;
* `kill -9` of an ingest while the server serves, then a re-ingest with other chunking while a
  client hammers the server: no failed request, and the server switches to the new index;
* a read-only index folder or a full disk at ingest: one clear error line, the old index intact.

(The Chroma-server outage is in test_scale_out.py.)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from ingest.pipeline import IngestReport, run_ingest
from server.app import create_app
from server.composition.components import Components, build_components
from server.domain.answering.llm import LLMAnswerer
from server.domain.answering.service import AnsweringService
from server.settings import Settings
from specqa.core.embedding import Embedder
from specqa.core.store import VectorStore
from tests.conftest import REPO, make_settings, run_cli
from tests.helpers import Traffic, free_port, live_server, serve_app, wait_until

QUESTIONS = [
    "Should the model reveal its system prompt if the user asks?",
    "Can the model help me write malware?",
    "should it tell white lies?",
    "May the assistant share someone's home address?",
]


# --- the LLM endpoint failing ------------------------------------------------------------------

# fault -> (the fake's reply, or None for a closed port; what the notice must say)
FAULTS: dict[str, tuple[ScriptedReply | None, str]] = {
    "down": (None, r"the LLM endpoint could not be reached"),
    "slow": (
        ScriptedReply("slow", content="Verdict: yes\nToo late.", delay_s=5),
        r"the LLM did not answer in time",
    ),
    "500": (ScriptedReply("status", status=500), r"the LLM endpoint answered HTTP 500"),
    "429": (
        ScriptedReply("status", status=429, retry_after="0"),
        r"the LLM endpoint answered HTTP 429",
    ),
    # not JSON: the plain call cannot decode it, the stream finds no events in it
    "garbage": (
        ScriptedReply("garbage"),
        r"the LLM reply could not be used|the LLM stream carried no answer",
    ),
}


def _llm_app(parts: Components, base_url: str) -> FastAPI:
    settings = parts.settings.updated(
        **{
            "llm_model": "fake-model",
            "openai_base_url": base_url,
            "openai_api_key": SecretStr("test-key"),
            "llm_timeout_s": 0.75,
            "llm_max_retries": 1,
            "llm_max_retry_wait_s": 1.0,
        }
    )
    service = AnsweringService(settings, parts.corpus, parts.retriever, LLMAnswerer(settings))
    return create_app(settings, dataclasses.replace(parts, settings=settings, service=service))


def _streamed_done(url: str, question: str) -> dict[str, Any]:
    done: dict[str, Any] | None = None
    event = ""
    with httpx.stream(
        "POST", f"{url}/v1/answer?stream=true", json={"question": question}, timeout=30
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "done":
                done = json.loads(line[6:])
    assert done is not None, "the stream ended without a done event"
    return done


def _metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.mark.parametrize("fault", list(FAULTS))
def test_llm_failure_still_answers_extractively_flagged_and_counted(
    parts: Components, fault: str
) -> None:
    reply, reason = FAULTS[fault]
    with FakeOpenAIServer() as fake:
        if reply is not None:
            fake.default = reply
        base_url = fake.base_url if reply is not None else f"http://127.0.0.1:{free_port()}/v1"
        with live_server(_llm_app(parts, base_url)) as url:
            assert httpx.get(f"{url}/readyz", timeout=10).json()["llm"] is True
            started = time.monotonic()
            answers = []
            for question in QUESTIONS[:2]:
                response = httpx.post(
                    f"{url}/v1/answer", json={"question": question, "mode": "llm"}, timeout=30
                )
                assert response.status_code == 200, response.text
                answers.append(response.json())
            answers.append(_streamed_done(url, QUESTIONS[2]))
            elapsed = time.monotonic() - started
            fallbacks = _metric(url, "specqa_llm_fallbacks_total")
            extractive = _metric(url, 'specqa_answers_total{mode="extractive"}')
        asked = len(fake.requests)
    for body in answers:
        assert body["mode"] == "extractive"
        assert body["fallback"] is True
        assert body["verdict"] is None
        assert re.match(rf"({reason})[^;]*; falling back to an extractive answer", body["notice"])
        assert body["citations"] and body["answer"]
    assert fallbacks == 3
    assert extractive == 3
    assert elapsed < 20  # bounded: deadline 0.75 s, one retry, per answer
    if reply is not None:
        assert asked >= 3  # the endpoint really was asked (and retried where retryable)


# --- ingests while serving from the embedded store -----------------------------------------------


def _ingest_env(index: Path, spec_dir: Path | None, chunk_max_tokens: int) -> dict[str, str]:
    return {
        "SPECQA_SPEC_DIR": str(spec_dir),
        "SPECQA_INDEX_DIR": str(index),
        "SPECQA_CHUNK_MAX_TOKENS": str(chunk_max_tokens),
        "SPECQA_CHROMA_URL": "",
        "SPECQA_TUNE_EMBEDDINGS": "true",  # as the served index was built (the tuning is cached)
    }


def _cache_rows(index: Path) -> int:
    with sqlite3.connect(index / "embed_cache.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])


def _pointer(index: Path) -> dict[str, Any]:
    return dict(json.loads((index / "current.json").read_text()))


def test_kill_9_of_an_ingest_and_a_reingest_while_serving_never_fail_a_request(
    built: tuple[Settings, IngestReport], embedder: Embedder, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(built[0].index.index_dir, index)
    settings = make_settings(index, rate_limit_per_minute=0)
    old = _pointer(index)["collection"]
    with serve_app(settings, embedder) as url, Traffic([url], QUESTIONS, searches=True) as traffic:
        wait_until(lambda: traffic.ok_since(0) >= 3, 30, "traffic to start")

        # 1. An ingest doing real work (smaller chunks: new embeddings) is killed mid-way.
        rows = _cache_rows(index)
        mark = len(traffic.statuses)
        process = subprocess.Popen(
            [sys.executable, "-m", "specqa", "ingest", "--json"],
            env={
                **os.environ,
                "HF_HUB_OFFLINE": "1",
                **_ingest_env(index, settings.spec.spec_dir, 120),
            },
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: _cache_rows(index) > rows, 120, "the ingest to embed")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        assert _pointer(index)["collection"] == old
        assert traffic.ok_since(mark) >= 1  # the server answered while the ingest ran
        time.sleep(2.5)  # past the corpus handle's pointer check
        assert httpx.get(f"{url}/readyz", timeout=10).json()["collection"] == old

        # 2. A re-ingest with other chunking completes while the client keeps asking.
        mark = len(traffic.statuses)
        rerun = run_cli(
            "ingest",
            "--json",
            env=_ingest_env(index, settings.spec.spec_dir, 229),
            timeout=240,
            subprocess=True,
        )
        assert rerun.returncode == 0, rerun.stderr
        new = json.loads(rerun.stdout)["collection"]
        assert new != old and _pointer(index)["collection"] == new
        wait_until(
            lambda: httpx.get(f"{url}/readyz", timeout=30).json().get("collection") == new,
            60,
            "the server to switch to the new index",
        )
        switched = len(traffic.statuses)
        wait_until(lambda: traffic.ok_since(switched) >= 6, 30, "traffic on the new index")
        during = traffic.ok_since(mark)
        answer = httpx.post(f"{url}/v1/answer", json={"question": QUESTIONS[0]}, timeout=30)
        assert answer.json()["citations"][0]["section_id"] == "protect_privileged_information"
    assert traffic.failures == []
    assert set(traffic.statuses) == {200}
    assert during >= 6


# --- read-only folder and full disk at ingest ----------------------------------------------------


@contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A real, small filesystem (tmpfs) at ``path``; skipped where mounting is impossible."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        # lazy: this process may still hold the index's SQLite files open
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def _remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True, capture_output=True)


def _answers_from(index: Path, embedder: Embedder, collection: str) -> None:
    """The index still opens and answers, from the collection it had before."""
    parts = build_components(make_settings(index), embedder=embedder)
    assert parts.corpus().manifest.collection == collection
    answer = parts.service.answer(QUESTIONS[0])
    assert answer.citations[0].section_id == "protect_privileged_information"


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("specqa: error:")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_ingest_into_a_read_only_index_folder_fails_clearly_and_keeps_the_old_index(
    built: tuple[Settings, IngestReport], embedder: Embedder, tmp_path: Path
) -> None:
    used = sum(f.stat().st_size for f in built[0].index.index_dir.rglob("*") if f.is_file())
    with _tmpfs(tmp_path / "ro", str(used + 32 * 1024 * 1024)) as index:
        shutil.copytree(built[0].index.index_dir, index, dirs_exist_ok=True)
        before = _pointer(index)
        _remount(index, "ro")
        result = run_cli(
            "ingest",
            "--json",
            env=_ingest_env(index, built[0].spec.spec_dir, 120),
            timeout=120,
            subprocess=True,
        )
        line = _one_error_line(result)
        assert "not writable" in line and "Read-only file system" in line
        _remount(index, "rw")
        assert _pointer(index) == before
        _answers_from(index, embedder, before["collection"])


def test_ingest_onto_a_full_disk_fails_clearly_and_keeps_the_old_index(
    built: tuple[Settings, IngestReport], embedder: Embedder, tmp_path: Path
) -> None:
    used = sum(f.stat().st_size for f in built[0].index.index_dir.rglob("*") if f.is_file())
    size = used + 16 * 1024 * 1024
    with _tmpfs(tmp_path / "full", str(size)) as index:
        shutil.copytree(built[0].index.index_dir, index, dirs_exist_ok=True)
        before = _pointer(index)
        filler = index / "filler"
        free = shutil.disk_usage(index).free
        with filler.open("wb") as handle:  # leave 200 KiB: less than the new embeddings need
            handle.truncate(0)
            handle.write(b"\0" * max(0, free - 200 * 1024))
        result = run_cli(
            "ingest",
            "--json",
            env=_ingest_env(index, built[0].spec.spec_dir, 120),
            timeout=180,
            subprocess=True,
        )
        line = _one_error_line(result)
        assert "disk is full" in line or "No space left" in line
        assert "previous index is unchanged" in line
        assert _pointer(index) == before
        assert not list(index.glob(".current.*"))
        filler.unlink()
        _answers_from(index, embedder, before["collection"])


# --- hardening, round two (issue 13) -----------------------------------------------------------


def _segment_folders(index: Path) -> set[str]:
    return {p.name for p in (index / "chroma").iterdir() if p.is_dir()}


def _live_segments(index: Path) -> tuple[set[str], int]:
    """The vector segments Chroma knows, and the SQLite file's free pages."""
    with sqlite3.connect(index / "chroma" / "chroma.sqlite3") as db:
        live = {str(r[0]) for r in db.execute("SELECT id FROM segments WHERE scope = 'VECTOR'")}
        free = int(db.execute("PRAGMA freelist_count").fetchone()[0])
    return live, free


@pytest.mark.slow  # two re-ingests of the session index
def test_reingests_leave_no_orphan_segment_folders_and_give_space_back(
    built: tuple[Settings, IngestReport], embedder: Embedder, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(built[0].index.index_dir, index)
    first = _pointer(index)["collection"]
    for releases in ("2025-12-18", "2025-10-27,2025-12-18"):  # cached embeddings: no model work
        settings = make_settings(index, releases=releases)
        report = run_ingest(settings, embedder, VectorStore(settings))
        assert not report.unchanged
    live, free = _live_segments(index)
    assert len(live) == 2  # the active build and the one before it
    assert first not in {
        c.name for c in VectorStore(make_settings(index)).client.list_collections()
    }
    assert _segment_folders(index) <= live  # the dropped build's folder is gone
    assert free == 0


def test_a_junk_pointer_while_serving_keeps_the_last_good_index_and_logs_it(
    built: tuple[Settings, IngestReport], embedder: Embedder, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(built[0].index.index_dir, index)
    good = _pointer(index)["collection"]
    settings = make_settings(index)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("specqa")
    logger.addHandler(handler)
    try:
        with serve_app(settings, embedder) as url:
            assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
            (index / "current.json").write_text("{ this is not a manifest", encoding="utf-8")
            wait_until(
                lambda: httpx.get(f"{url}/readyz", timeout=10).json().get("warning"),
                30,
                "the damaged pointer to be noticed (the pointer is re-read every 2 s)",
            )
            answer = httpx.post(f"{url}/v1/answer", json={"question": QUESTIONS[0]}, timeout=30)
            ready = httpx.get(f"{url}/readyz", timeout=10)
    finally:
        logger.removeHandler(handler)
    assert answer.status_code == 200
    assert answer.json()["citations"][0]["section_id"] == "protect_privileged_information"
    assert ready.status_code == 200
    assert ready.json()["collection"] == good and "unreadable" in ready.json()["warning"]
    assert len(records) == 1, "logged once per problem, not on every check"
    assert "last good index" in records[0].getMessage() and good in records[0].getMessage()
