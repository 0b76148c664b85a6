"""`specqa serve` as a process: a graceful shutdown lets in-flight requests finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from bench.load import wait_until_ok
from ingest.pipeline import IngestReport
from specqa.settings import Settings
from tests.conftest import REPO, free_port
from tests.fakes.openai_server import FakeOpenAIServer, ScriptedReply


def test_sigterm_lets_an_in_flight_answer_finish(built: tuple[Settings, IngestReport]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with FakeOpenAIServer() as llm:
        llm.default = ScriptedReply(
            "slow", "Verdict: no\n\nSee [protect_privileged_information].", delay_s=3
        )
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "SPECQA_INDEX_DIR": str(built[0].index_dir),
            "SPECQA_LLM_MODEL": "fake-model",
            "OPENAI_BASE_URL": llm.base_url,
            "OPENAI_API_KEY": "test",
            "SPECQA_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "specqa", "serve", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_ok(process, f"{url}/readyz", 90)
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
