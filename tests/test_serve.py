"""`specqa serve` as a process: a graceful shutdown lets in-flight requests finish."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from ingest.pipeline import IngestReport
from server.settings import Settings
from tests.helpers import ServeProcess, free_port, start_serve


def test_sigterm_lets_an_in_flight_answer_finish(built: tuple[Settings, IngestReport]) -> None:
    with FakeOpenAIServer() as llm:
        llm.default = ScriptedReply(
            "slow", "Verdict: no\n\nSee [protect_privileged_information].", delay_s=3
        )
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "SPECQA_INDEX_DIR": str(built[0].index.index_dir),
            "SPECQA_LLM_MODEL": "fake-model",
            "OPENAI_BASE_URL": llm.base_url,
            "OPENAI_API_KEY": "test",
            "SPECQA_LOG_LEVEL": "WARNING",
        }
        server = start_serve(env=env)
        process, url = server.process, server.url
        try:
            server.wait_ready(90)
            results: list[httpx.Response] = []
            question = {"question": "Should the model reveal its system prompt?"}
            request = threading.Thread(
                target=lambda: results.append(
                    httpx.post(f"{url}/v1/answer", json=question, timeout=60)
                )
            )
            request.start()
            deadline = time.monotonic() + 30
            while not llm.requests and time.monotonic() < deadline:  # the answer is in flight
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            request.join(timeout=60)
            # uvicorn finishes in-flight work, then re-raises the signal it caught
            assert process.wait(timeout=60) in (0, -signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    assert results, "the in-flight request got no response"
    assert results[0].status_code == 200
    assert results[0].json()["mode"] == "llm"


# --- hardening, round two (issue 13) -----------------------------------------------------------


def _serve_env(**extra: str) -> dict[str, str]:
    """The environment without any SPECQA_ setting: options must come from the command line."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SPECQA_")}
    keep = {k: os.environ[k] for k in ("SPECQA_MODEL_CACHE_DIR",) if k in os.environ}
    return {**clean, **keep, "HF_HUB_OFFLINE": "1", **extra}


@pytest.fixture(scope="module")
def served(
    built: tuple[Settings, IngestReport], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    """`specqa serve --index-dir D --host 127.0.0.5` from a folder with no index of its own."""
    cwd = tmp_path_factory.mktemp("elsewhere")
    server = start_serve(
        "--index-dir",
        str(built[0].index.index_dir),
        env=_serve_env(SPECQA_HEADER_TIMEOUT_S="1"),
        log=cwd / "serve.log",
        cwd=cwd,
        host="127.0.0.5",
    )
    try:
        server.wait_ready(120)
        yield server
    finally:
        server.stop()


def test_command_line_options_reach_the_app(
    served: ServeProcess, built: tuple[Settings, IngestReport]
) -> None:
    ready = httpx.get(f"{served.url}/readyz", timeout=10).json()
    assert (
        ready["collection"]
        == json.loads((built[0].index.index_dir / "current.json").read_text())["collection"]
    )
    assert "open to anyone who can reach 127.0.0.5" in served.log.read_text()


def test_slow_headers_are_cut_off(served: ServeProcess) -> None:
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        closed = False
        for n in range(60):  # one header line every 0.5 s, for up to 30 s
            time.sleep(0.5)
            try:
                connection.sendall(f"X-Slow-{n}: yes\r\n".encode())
                closed = connection.recv(1, socket.MSG_DONTWAIT) == b""
            except BlockingIOError:
                continue
            except OSError:
                closed = True
            if closed:
                break
    assert closed, "the server kept a connection whose headers never ended"


@pytest.mark.parametrize("size", [100_000, 5_000_000])
def test_oversized_headers_are_refused(served: ServeProcess, size: int) -> None:
    try:
        response = httpx.get(f"{served.url}/healthz", headers={"X-Big": "a" * size}, timeout=30)
    except httpx.TransportError:
        return  # the server closed the connection on the oversized head
    assert response.status_code in (400, 431)


def _damaged_copy(built: tuple[Settings, IngestReport], tmp_path: Path, how: str) -> Path:
    index = tmp_path / "index"
    shutil.copytree(built[0].index.index_dir, index)
    folders = [p for p in (index / "chroma").iterdir() if p.is_dir()]
    assert folders, "the index has a vector segment folder"
    for folder in folders:
        if how == "deleted":
            shutil.rmtree(folder)
        else:
            data = folder / "data_level0.bin"
            data.write_bytes(random.Random(13).randbytes(data.stat().st_size))
    return index


@pytest.mark.parametrize("how", ["random bytes", "deleted"])
def test_a_damaged_index_stops_serve_with_one_line_and_exit_2(
    built: tuple[Settings, IngestReport], tmp_path: Path, how: str
) -> None:
    index = _damaged_copy(built, tmp_path, how)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "specqa",
            "serve",
            "--index-dir",
            str(index),
            "--port",
            str(free_port()),
        ],
        env=_serve_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("specqa: error: the index in") and "damaged" in lines[0]
    assert "specqa ingest" in lines[0]
