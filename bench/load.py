"""Load test: an async httpx driver against a live specqa server on loopback.

    python bench/load.py --index-dir index                # spawns `specqa serve` on a free port
    python bench/load.py --url http://127.0.0.1:8000      # an already running server

Mixed traffic (GET /v1/search and POST /v1/answer in extractive mode) over the real eval
questions, at a fixed concurrency for a fixed time. Reports total requests, errors, a status
histogram, 5xx and latency percentiles; exits 1 on any error (transport error, timeout or a
non-2xx status) or any 5xx. A server started with a rate limit answers 429 under this load: spawn
one with ``--index-dir`` (rate limit off) or start yours with ``SPECQA_RATE_LIMIT_PER_MINUTE=0``.

The driver (:func:`run_fixed`, :func:`run_for`) and the server spawner (:func:`spawn_server`)
are shared with ``bench/bench.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "tests" / "eval" / "questions.jsonl"

__all__ = [
    "Call",
    "Outcome",
    "RunResult",
    "ServerProcess",
    "answer_call",
    "load_questions",
    "mixed_calls",
    "percentiles",
    "run_fixed",
    "run_for",
    "search_call",
    "spawn_server",
    "wait_until_ok",
]


# --- requests and outcomes ------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    kind: str  # "search" or "answer"
    method: str
    path: str
    params: dict[str, str] | None = None
    body: dict[str, Any] | None = None


def search_call(question: str) -> Call:
    return Call("search", "GET", "/v1/search", params={"q": question})


def answer_call(question: str) -> Call:
    return Call("answer", "POST", "/v1/answer", body={"question": question, "mode": "extractive"})


def mixed_calls(questions: Sequence[str]) -> Callable[[int], Call]:
    """The i-th call of a mixed run: search and answer alternate, questions cycle."""

    def make(i: int) -> Call:
        question = questions[(i // 2) % len(questions)]
        return search_call(question) if i % 2 == 0 else answer_call(question)

    return make


def load_questions(path: Path = QUESTIONS) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]


@dataclass(frozen=True)
class Outcome:
    kind: str
    status: int | None  # None: no response (connection error, timeout)
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0

    def of(self, kind: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if kind is None or o.kind == kind]

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if not o.ok)

    @property
    def server_errors(self) -> int:
        return sum(1 for o in self.outcomes if o.status is not None and o.status >= 500)

    @property
    def statuses(self) -> dict[str, int]:
        counts = Counter(
            str(o.status) if o.status is not None else "no response" for o in self.outcomes
        )
        return dict(sorted(counts.items()))

    @property
    def throughput(self) -> float:
        return len(self.outcomes) / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self, kind: str | None = None) -> dict[str, Any]:
        chosen = self.of(kind)
        ok = [o.seconds for o in chosen if o.ok]
        return {
            "requests": len(chosen),
            "errors": sum(1 for o in chosen if not o.ok),
            "throughput_rps": round(len(chosen) / self.wall_s, 2) if self.wall_s > 0 else 0.0,
            **{f"{name}_ms": value for name, value in percentiles(ok).items()},
        }


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 (linear interpolation) and the mean, in milliseconds."""
    if not seconds:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "mean": float("nan")}
    ordered = sorted(seconds)

    def at(q: float) -> float:
        position = q * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return {
        "p50": round(at(0.50) * 1000, 2),
        "p95": round(at(0.95) * 1000, 2),
        "p99": round(at(0.99) * 1000, 2),
        "mean": round(sum(ordered) / len(ordered) * 1000, 2),
    }


# --- the driver -----------------------------------------------------------------------------
async def _send(client: httpx.AsyncClient, call: Call) -> Outcome:
    started = time.perf_counter()
    try:
        response = await client.request(call.method, call.path, params=call.params, json=call.body)
        await response.aread()
    except httpx.HTTPError as exc:
        return Outcome(
            call.kind, None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}"
        )
    elapsed = time.perf_counter() - started
    error = None if response.is_success else response.text[:200]
    return Outcome(call.kind, response.status_code, elapsed, error)


def _client(base_url: str, concurrency: int, timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout_s,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        trust_env=False,  # loopback only: never through a proxy
    )


async def run_fixed(
    base_url: str, calls: Sequence[Call], concurrency: int, timeout_s: float = 60.0
) -> RunResult:
    """Send exactly ``calls`` with ``concurrency`` requests in flight; wall time from first to last."""
    result = RunResult()
    queue = iter(calls)
    async with _client(base_url, concurrency, timeout_s) as client:

        async def worker() -> None:
            for call in queue:  # a shared iterator: each call is taken once
                result.outcomes.append(await _send(client, call))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - started
    return result


async def run_for(
    base_url: str,
    make_call: Callable[[int], Call],
    concurrency: int,
    seconds: float,
    timeout_s: float = 60.0,
) -> RunResult:
    """Keep ``concurrency`` requests in flight for ``seconds``; requests in flight at the end finish."""
    result = RunResult()
    counter = iter(range(sys.maxsize))
    async with _client(base_url, concurrency, timeout_s) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                result.outcomes.append(await _send(client, make_call(next(counter))))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - started
    return result


# --- a real `specqa serve` process ----------------------------------------------------------
@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    ready_s: float  # from spawn to the first 200 on /readyz


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def spawn_server(
    index_dir: Path, env: dict[str, str] | None = None, timeout_s: float = 120.0
) -> Iterator[ServerProcess]:
    """`specqa serve` on a free loopback port against an existing index, rate limit off."""
    port = free_port()
    full_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "SPECQA_INDEX_DIR": str(index_dir),
        "SPECQA_RATE_LIMIT_PER_MINUTE": "0",
        "SPECQA_LOG_LEVEL": "WARNING",
        "SPECQA_API_KEYS": "",
        "SPECQA_LLM_MODEL": "",
        "OPENAI_MODEL": "",
        **(env or {}),
    }
    command = [sys.executable, "-m", "specqa", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile() as log:  # not a pipe: a chatty server must never block on it
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=full_env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ok(process, f"{url}/readyz", timeout_s, lambda: _tail(log))
            yield ServerProcess(process, url, time.perf_counter() - started)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_until_ok(
    process: subprocess.Popen[bytes],
    url: str,
    timeout_s: float,
    exit_detail: Callable[[], str] = lambda: "",
) -> float:
    """Poll ``url`` until it answers 200 and return the seconds waited; a RuntimeError (with
    ``exit_detail()``, e.g. the process's log) if ``process`` exits first or time runs out."""
    started = time.perf_counter()
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{url}: process exited with {process.returncode}: {exit_detail()}"
                )
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"{url}: not ready after {timeout_s:.0f} s: {exit_detail()}")
            time.sleep(0.02)


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


# --- the command ----------------------------------------------------------------------------
def load_test(url: str, concurrency: int, seconds: float, questions: Sequence[str]) -> RunResult:
    return asyncio.run(run_for(url, mixed_calls(questions), concurrency, seconds))


def report(result: RunResult, concurrency: int, seconds: float) -> dict[str, Any]:
    first_errors = Counter(o.error or "" for o in result.outcomes if not o.ok).most_common(5)
    return {
        "concurrency": concurrency,
        "seconds": seconds,
        "wall_s": round(result.wall_s, 2),
        "requests": len(result.outcomes),
        "errors": result.errors,
        "server_errors_5xx": result.server_errors,
        "statuses": result.statuses,
        "throughput_rps": round(result.throughput, 2),
        "all": result.summary(),
        "search": result.summary("search"),
        "answer": result.summary("answer"),
        "top_errors": [{"error": e, "count": n} for e, n in first_errors],
    }


def print_report(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"load · concurrency {data['concurrency']} · {data['seconds']:.0f} s · "
        f"{data['requests']} requests · {data['throughput_rps']} req/s"
    )
    for column in ("endpoint", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for name in ("search", "answer", "all"):
        s = data[name]
        table.add_row(
            name,
            str(s["requests"]),
            str(s["errors"]),
            f"{s['throughput_rps']:.1f}",
            f"{s['p50_ms']:.1f}",
            f"{s['p95_ms']:.1f}",
            f"{s['p99_ms']:.1f}",
        )
    console.print(table)
    console.print(f"statuses: {data['statuses']}  5xx: {data['server_errors_5xx']}")
    for item in data["top_errors"]:
        console.print(f"[red]{item['count']} x[/] {item['error']}")
    verdict = (
        "[green]PASS[/]"
        if data["errors"] == 0 and data["server_errors_5xx"] == 0
        else "[red]FAIL[/]"
    )
    console.print(f"{verdict}: {data['errors']} errors, {data['server_errors_5xx']} 5xx")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--url", help="Base URL of a running server (loopback).")
    target.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="Spawn `specqa serve` against this existing index (default: SPECQA_INDEX_DIR or index/).",
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--json", type=Path, default=None, help="Also write the report here.")
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)

    if args.url:
        data = report(
            load_test(args.url, args.concurrency, args.seconds, questions),
            args.concurrency,
            args.seconds,
        )
    else:
        index_dir = args.index_dir or Path(os.environ.get("SPECQA_INDEX_DIR") or REPO / "index")
        with spawn_server(index_dir) as server:
            result = load_test(server.url, args.concurrency, args.seconds, questions)
            alive = server.process.poll() is None
        data = report(result, args.concurrency, args.seconds)
        data["server_survived"] = alive
    print_report(data)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    failed = data["errors"] or data["server_errors_5xx"] or not data.get("server_survived", True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
