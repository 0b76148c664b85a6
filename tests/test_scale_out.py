"""Scale-out mode (issue 4 item 6, issue 7 item 3): a real `chroma run` server shared by several
`specqa serve` processes; refusal of multi-worker embedded serving; Chroma outage and recovery.

Everything runs on loopback, every subprocess is started in its own session and its process group
is killed in teardown, and every wait has a deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.pipeline import IngestReport
from server.settings import Settings
from specqa.core.embedding import Embedder
from tests.conftest import make_settings, run_cli
from tests.helpers import (
    ServeProcess,
    Traffic,
    free_port,
    log_tail,
    serve_app,
    start_serve,
    stop_group,
    wait_until,
    wait_until_ok,
)

CHROMA = Path(sys.executable).with_name("chroma")
QUESTION = "Should the model reveal its system prompt if the user asks?"
START_TIMEOUT_S = 150.0  # several servers load torch and the model at once on two cores

pytestmark = pytest.mark.skipif(not CHROMA.exists(), reason=f"no chroma CLI at {CHROMA}")


@dataclass
class ChromaServer:
    """`chroma run` on a fixed port and folder, so it can be stopped and started again."""

    path: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def _address(self) -> list[str]:
        return ["--host", "127.0.0.1", "--port", str(self.port)]

    def start(self, timeout_s: float = 30) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), *self._address],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until_ok(
                self.process, f"{self.url}/api/v2/heartbeat", timeout_s, lambda: log_tail(self.log)
            )
        except RuntimeError:
            self.stop()
            raise

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            stop_group(self.process, sig)
            self.process = None


@dataclass
class Cluster:
    chroma: ChromaServer
    env: dict[str, str]
    ingest: dict[str, Any]
    servers: list[ServeProcess]


@pytest.fixture(scope="module")
def cluster(
    built: tuple[Settings, IngestReport], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """A Chroma server, the five releases ingested into it, and three `specqa serve` processes."""
    root = tmp_path_factory.mktemp("scale_out")
    chroma = ChromaServer(root / "chroma", free_port(), root / "chroma.log")
    servers: list[ServeProcess] = []
    try:
        chroma.start()
        index_dir = root / "index"  # holds only the embedding cache in server mode
        index_dir.mkdir()
        shutil.copy2(
            built[0].index.index_dir / "embed_cache.sqlite", index_dir / "embed_cache.sqlite"
        )
        env = {
            "SPECQA_CHROMA_URL": chroma.url,
            "SPECQA_SPEC_DIR": str(built[0].spec.spec_dir),
            "SPECQA_INDEX_DIR": str(index_dir),
            "SPECQA_TUNE_EMBEDDINGS": "true",  # the session's tuned model: cached, nothing to embed
        }
        ingest = run_cli("ingest", "--json", env=env, timeout=240, subprocess=True)
        assert ingest.returncode == 0, ingest.stderr
        report = json.loads(ingest.stdout)
        for number, workers in enumerate((1, 1, 2)):
            servers.append(
                start_serve(
                    env={**os.environ, "HF_HUB_OFFLINE": "1", "SPECQA_LOG_LEVEL": "WARNING", **env},
                    log=root / f"serve{number}.log",
                    workers=workers,
                    new_session=True,
                )
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        for server in servers:
            server.wait_ready(max(0.0, deadline - time.monotonic()))
        yield Cluster(chroma, env, report, servers)
    finally:
        for server in servers:
            server.stop()
        chroma.stop()


def _answer(url: str, question: str = QUESTION) -> httpx.Response:
    return httpx.post(f"{url}/v1/answer", json={"question": question}, timeout=30)


def _essence(body: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    return (
        body["answer"],
        [c["section_id"] for c in body["citations"]],
        [e["id"] for e in body["examples"]],
    )


def test_ingest_into_a_chroma_server_and_answer_the_same_from_every_server_process(
    cluster: Cluster, built: tuple[Settings, IngestReport]
) -> None:
    assert not cluster.ingest["unchanged"]
    assert cluster.ingest["embedded"] == 0  # the embedding cache was reused
    collection = cluster.ingest["collection"]
    assert httpx.get(f"{cluster.chroma.url}/api/v2/heartbeat", timeout=5).status_code == 200

    answers = []
    for server in cluster.servers:
        ready = httpx.get(f"{server.url}/readyz", timeout=10).json()
        assert ready["status"] == "ready"
        assert ready["store"] == "chroma-server"
        assert ready["collection"] == collection
        response = _answer(server.url)
        assert response.status_code == 200, response.text
        answers.append(_essence(response.json()))
    assert answers[0][1][0] == "protect_privileged_information"
    assert all(answer == answers[0] for answer in answers)

    searches = [
        httpx.get(f"{s.url}/v1/search", params={"q": "white lies"}, timeout=30).json()
        for s in cluster.servers
    ]
    ranked = [[hit["id"] for hit in search["sections"]] for search in searches]
    assert ranked[0] and all(r == ranked[0] for r in ranked)

    multi = cluster.servers[2]
    assert multi.workers == 2
    children = Path(f"/proc/{multi.process.pid}/task/{multi.process.pid}/children").read_text()
    assert len(children.split()) >= 2  # the uvicorn supervisor runs two worker processes
    with ThreadPoolExecutor(max_workers=8) as pool:
        # a fresh client per request, so the connections spread over both workers
        replies = list(pool.map(lambda _: _answer(multi.url), range(8)))
    assert [r.status_code for r in replies] == [200] * 8
    assert all(_essence(r.json()) == answers[0] for r in replies)


def test_serve_with_several_workers_and_no_chroma_server_is_refused() -> None:
    result = run_cli("serve", "--workers", "2", env={"SPECQA_CHROMA_URL": ""}, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SPECQA_CHROMA_URL" in lines[0] and "--workers" in lines[0]
    assert lines[0].startswith("specqa: error:")


def test_chroma_outage_gives_503_with_a_clear_message_and_recovers_without_restart(
    cluster: Cluster,
) -> None:
    servers = [cluster.servers[0], cluster.servers[2]]  # one single-worker, one two-worker
    before = [_essence(_answer(s.url).json()) for s in servers]

    with Traffic([s.url for s in servers], [QUESTION], pause_s=0.05) as traffic:
        wait_until(lambda: len(traffic.statuses) >= 4, 30, "traffic before the outage")
        cluster.chroma.stop(signal.SIGKILL)  # killed mid-traffic
        seen = len(traffic.statuses)
        wait_until(lambda: len(traffic.statuses) >= seen + 6, 30, "traffic during the outage")
        for server in servers:
            ready = httpx.get(f"{server.url}/readyz", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["status"] == "unavailable"
            assert "Chroma server" in ready.json()["message"]
            assert "unreachable" in ready.json()["message"]
            for _ in range(server.workers * 2):
                response = _answer(server.url)
                assert response.status_code == 503, response.text
                error = response.json()["error"]
                assert error["type"] == "BackendUnavailableError"
                assert "unreachable" in error["message"]
                assert str(cluster.chroma.port) not in response.text  # no internal address
            search = httpx.get(f"{server.url}/v1/search", params={"q": "lies"}, timeout=10)
            assert search.status_code == 503 and "message" in search.json()["error"]

        cluster.chroma.start()  # same port, same folder; the servers are not restarted
        for server in servers:
            wait_until(
                lambda url=server.url: httpx.get(f"{url}/readyz", timeout=10).status_code == 200,
                30,
                f"{server.url} to be ready again",
            )
        seen = len(traffic.statuses)
        wait_until(lambda: len(traffic.statuses) >= seen + 6, 30, "traffic after recovery")
        recovered = traffic.statuses[seen:]

    assert set(traffic.statuses) <= {200, 503}, traffic.statuses  # never a 500
    assert 503 in traffic.statuses
    assert recovered and set(recovered) == {200}, recovered
    assert all(set(body) == {"error"} and body["error"]["message"] for body in traffic.bodies)
    # The index (1,625 chunks, past HNSW's 1,000-vector sync threshold) answers the same after
    # the restart as before it.
    for server, earlier in zip(servers, before, strict=True):
        for _ in range(server.workers * 2):
            response = _answer(server.url)
            assert response.status_code == 200, response.text
            assert _essence(response.json()) == earlier


def test_readyz_with_chroma_down_names_no_internal_address(
    embedder: Embedder, tmp_path: Path
) -> None:
    chroma = ChromaServer(tmp_path / "chroma", free_port(), tmp_path / "chroma.log")
    chroma.start()
    try:
        settings = make_settings(tmp_path / "index", chroma_url=chroma.url)
        with serve_app(settings, embedder) as url:
            chroma.stop(signal.SIGKILL)
            ready = httpx.get(f"{url}/readyz", timeout=30)
            search = httpx.get(f"{url}/v1/search", params={"q": "lies"}, timeout=30)
    finally:
        chroma.stop()
    assert ready.status_code == 503 and search.status_code == 503
    assert "unreachable" in ready.json()["message"]
    for reply in (ready.text, search.text):
        assert str(chroma.port) not in reply and "127.0.0.1" not in reply
