"""What the tests that start servers, poll or send traffic share, in one place.

* ports and polling: :func:`free_port`, :func:`wait_until`, :func:`wait_until_ok`;
* servers in this process: :func:`live_server` (uvicorn in a thread), :func:`serve_app` (the app
  over an index: derived from the session's parts, or built with the session's model);
  :func:`in_process` and :func:`app_client`, the same without a socket, for tests of HTTP
  semantics (status, body, headers) rather than of the server;
* `specqa serve` subprocesses: :func:`start_serve` and :class:`ServeProcess`; :func:`stop`,
  :func:`stop_group` and :func:`log_tail` for any subprocess;
* traffic: :class:`Traffic`, requests in a loop from a background thread;
* the scripted LLM: :func:`fake_llm_settings` (the ``fake`` fixture is in ``conftest.py``).

Tests never import ``bench/``: the benchmark keeps its own copy of the little it needs.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from server.domain.schemas import Answer, Citation

if TYPE_CHECKING:
    from server.composition.components import Components
    from server.settings import Settings
    from specqa.core.embedding import Embedder

__all__ = [
    "ServeProcess",
    "Traffic",
    "app_client",
    "fake_llm_settings",
    "free_port",
    "in_process",
    "live_server",
    "log_tail",
    "serve_app",
    "start_serve",
    "stop",
    "stop_group",
    "wait_until",
    "wait_until_ok",
]

_REPO = Path(__file__).resolve().parents[1]


# --- ports and polling ----------------------------------------------------------------------------


# Ports handed out below the kernel's ephemeral range (32768-60999 on Linux), which every bind to
# port 0 and every outgoing connection draws from, each xdist worker in its own slice: a server
# started on a port picked here binds it seconds later (after loading its model), and in between
# no other worker's canary, fake server or connection can be given the same port.
_FIRST_PORT = 20000
_PORTS_PER_WORKER = 2000


def free_port() -> int:
    """A loopback port nothing listens on, from this xdist worker's own slice (the probe socket
    is closed again on return)."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    first = _FIRST_PORT + worker * _PORTS_PER_WORKER
    for port in random.sample(range(first, first + _PORTS_PER_WORKER), 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # listened on, or in TIME_WAIT after an earlier test
                continue
            return port
    raise RuntimeError(f"no free loopback port in {first}-{first + _PORTS_PER_WORKER - 1}")


def wait_until(check: Any, timeout_s: float, what: str) -> Any:
    """``check()``'s first truthy value, polled; an assertion error after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def wait_until_ok(
    process: subprocess.Popen[bytes],
    url: str,
    timeout_s: float,
    exit_detail: Callable[[], str] = lambda: "",
    accept: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
) -> float:
    """Poll ``url`` until ``accept`` takes its answer (by default: a 200) and return the seconds
    waited; a RuntimeError (with ``exit_detail()``, e.g. the process's log) if ``process`` exits
    first or time runs out."""
    started = time.perf_counter()
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{url}: process exited with {process.returncode}: {exit_detail()}"
                )
            try:
                if accept(client.get(url)):
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"{url}: not ready after {timeout_s:.0f} s: {exit_detail()}")
            time.sleep(0.02)


# --- servers in this process ----------------------------------------------------------------------


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Run ``app`` under a real uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    from server.edge.http_server import uvicorn_options

    port = free_port()
    options = uvicorn_options(app.state.settings.http)  # as `specqa serve` runs it
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def serve_app(settings: Settings, shared: Components | Embedder) -> AbstractContextManager[str]:
    """The app over ``settings``' index under :func:`live_server`: with parts over that index
    (the session's ``parts``), derived from them (the loaded index shared, see
    :meth:`Components.derive`); with an embedder, built afresh embedding with it (another index)."""
    from server.app import create_app
    from server.composition.components import Components, build_components

    if isinstance(shared, Components):
        return live_server(create_app(settings, shared.derive(settings)))
    return live_server(create_app(settings, build_components(settings, embedder=shared)))


@contextmanager
def in_process(app: Any) -> Iterator[httpx.Client]:
    """An HTTP client whose requests go straight to ``app`` in this process (starlette's
    TestClient: no socket, no uvicorn), its lifespan run around the block; an exception in the
    app is its 500 response, as under a server. Relative URLs: ``client.get("/healthz")``."""
    from starlette.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def app_client(settings: Settings, shared: Components) -> AbstractContextManager[httpx.Client]:
    """The app for ``settings`` over the parts derived from ``shared`` (see :func:`serve_app`),
    under :func:`in_process`."""
    from server.app import create_app

    return in_process(create_app(settings, shared.derive(settings)))


# --- `specqa serve` and other subprocesses ----------------------------------------------------------


def log_tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def start_ingest(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``specqa ingest --json`` in the background with ``env``, its output dropped: for the tests
    that kill an ingest part-way."""
    return subprocess.Popen(
        [sys.executable, "-m", "specqa", "ingest", "--json"],
        env=env,
        cwd=_REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process``; kill it if it has not exited within 30 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it spawned."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers left behind, if any
    if process.poll() is None:
        process.wait(timeout=10)


@dataclass
class ServeProcess:
    """One `specqa serve` subprocess on its own port."""

    url: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path | None = None
    workers: int = 1
    new_session: bool = False

    def detail(self) -> str:
        """The end of the server's log (for a failure message)."""
        return log_tail(self.log) if self.log is not None else ""

    def wait_ready(self, timeout_s: float) -> float:
        """Wait for ``/readyz`` to say "ready" (a RuntimeError with the log if it never does):
        its body, not a bare 200, so that another listener on the port is never taken for it."""
        return wait_until_ok(
            self.process, f"{self.url}/readyz", timeout_s, self.detail, accept=_says_ready
        )

    def stop(self) -> None:
        if self.new_session:
            stop_group(self.process)
        else:
            stop(self.process)


def _says_ready(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "ready"


def start_serve(
    *args: str,
    env: dict[str, str],
    log: Path | None = None,
    cwd: Path = _REPO,
    host: str | None = None,
    workers: int | None = None,
    new_session: bool = False,
) -> ServeProcess:
    """`specqa serve --port <free port> ARGS` with exactly ``env``; its output goes to ``log``
    (or nowhere). ``new_session`` puts it in its own process group (see :func:`stop_group`)."""
    port = free_port()
    command = [sys.executable, "-m", "specqa", "serve", *args]
    if host is not None:
        command += ["--host", host]
    command += ["--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    with contextlib.ExitStack() as stack:
        output: IO[bytes] | int = (
            stack.enter_context(log.open("wb")) if log is not None else subprocess.DEVNULL
        )
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            start_new_session=new_session,
        )
    return ServeProcess(
        f"http://{host or '127.0.0.1'}:{port}", process, log, workers or 1, new_session
    )


# --- traffic --------------------------------------------------------------------------------------


class Traffic:
    """Answers (and, with ``searches``, searches in turn) from a background thread, round-robin
    over ``urls``, until the ``with`` block ends.

    ``statuses`` holds every status code in order (-1 for a transport error); ``failures`` the
    text of every failed request and ``bodies`` the JSON of every non-200 reply.
    """

    def __init__(
        self,
        urls: list[str],
        questions: list[str],
        *,
        searches: bool = False,
        pause_s: float = 0.02,
    ) -> None:
        self.urls = urls
        self.questions = questions
        self.searches = searches
        self.pause_s = pause_s
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def ok_since(self, start: int) -> int:
        return sum(1 for status in self.statuses[start:] if status == 200)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            turn = 0
            while not self._stop.is_set():
                try:
                    response = self._request(client, turn)
                except httpx.HTTPError as exc:
                    self.statuses.append(-1)
                    self.failures.append(repr(exc))
                else:
                    self._record(response)
                turn += 1
                time.sleep(self.pause_s)

    def _request(self, client: httpx.Client, turn: int) -> httpx.Response:
        url = self.urls[turn % len(self.urls)]
        question = self.questions[turn % len(self.questions)]
        if self.searches and turn % 2:
            return client.get(f"{url}/v1/search", params={"q": question})
        return client.post(f"{url}/v1/answer", json={"question": question})

    def _record(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)
        if response.status_code == 200:
            return
        self.failures.append(response.text[:300])
        try:
            self.bodies.append(response.json())
        except ValueError:
            self.bodies.append({"unparsed": response.text})


# --- the scripted LLM -----------------------------------------------------------------------------


def fake_llm_settings(base_url: str) -> dict[str, object]:
    """Settings that send LLM calls to the scripted chat-completions server at ``base_url``."""
    return {"llm_model": "fake-model", "openai_base_url": base_url, "openai_api_key": "test-key"}


_SHORT_ANSWER = re.compile(
    r"\A\*\*Short answer: [^*\n]+\*\*\n"
    r"\*Closest curated question(?:, asked the other way round \(answered [^)\n]+\))?:\* “[^\n]*”\n\n"
)


def after_short_answer(markdown: str) -> str:
    """``markdown`` without the short answer an answer may open with (and its curated question)."""
    return _SHORT_ANSWER.sub("", markdown, count=1)


def plain_answer(question: str, citations: Sequence[Citation] = ()) -> Answer:
    """A minimal extractive answer to ``question``, for tests of what is stored about answers."""
    return Answer(
        question=question,
        release="2025-12-18",
        mode="extractive",
        answer="…",
        verdict=None,
        confidence="medium",
        citations=list(citations),
        examples=[],
    )
