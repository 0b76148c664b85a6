"""A real, local HTTP server that speaks the OpenAI chat-completions protocol, for tests.

Standard library only, so it stays independent of the application under test. Each request to
``POST /v1/chat/completions`` pops the next :class:`ScriptedReply` (or uses ``default`` when the
script is empty) and answers the way the OpenAI API does: a ``chat.completion`` JSON object, a
``text/event-stream`` of ``chat.completion.chunk`` events ending in ``data: [DONE]`` when the
request asked for ``"stream": true``, an OpenAI-style error body, a non-JSON body, or nothing at
all (the connection is dropped).

Replies can be scripted for requests whose messages contain a given text (``when=``): such a
request takes from that queue first, so a test can script a routing call and an answer call apart.
A ``"hold"`` reply waits until :meth:`FakeOpenAIServer.release` (or the server stops), so a test
can keep calls in flight for as long as it needs without timing anything; ``chunk_delay_s`` spaces
the events of a stream. A ``"trickle"`` reply sends its headers at once, then its body (JSON or event
stream) one byte every ``byte_delay_s``: never idle long enough to trip a read timeout.

    with FakeOpenAIServer() as fake:
        fake.script(ScriptedReply("ok", content="hello"), ScriptedReply("status", status=503))
        fake.script(ScriptedReply("ok", content='{"sections": []}'), when="TABLE OF CONTENTS")
        client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast

from fakes.openai_wire import completion, error_body, stream_events

__all__ = ["FakeOpenAIServer", "ScriptedReply"]

ReplyKind = Literal["ok", "slow", "hold", "status", "garbage", "close", "trickle"]

GARBAGE_BODY = b"<html>not json</html>"


@dataclass
class ScriptedReply:
    """One scripted answer to one chat-completions request."""

    kind: ReplyKind  # "close" drops the connection without a reply
    content: str = ""  # the assistant message text for "ok"/"slow"/"hold"
    delay_s: float = 0.0  # for "slow": sleep before replying
    chunk_delay_s: float = 0.0  # for streams: sleep before each content event
    byte_delay_s: float = 0.3  # for "trickle": sleep before each byte of the body
    status: int = 200  # for "status": e.g. 500, 429, 503
    retry_after: str | None = None  # Retry-After header value for "status" replies


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # server_close() must not wait for sleeping handlers

    def __init__(self, fake: FakeOpenAIServer, port: int = 0) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, dropped connection) is expected in these tests.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai client (httpx) expects
    server_version = "FakeOpenAI/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end eventually

    @property
    def fake(self) -> FakeOpenAIServer:
        return cast(_HTTPServer, self.server).fake

    def log_message(self, format: str, *args: Any) -> None:
        return

    # --- routing -------------------------------------------------------------------------------

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def do_GET(self) -> None:
        self._drain_body()
        if self._path() == "/v1/models":
            created = int(time.time())
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {
                            "id": "fake-model",
                            "object": "model",
                            "created": created,
                            "owned_by": "fake",
                        }
                    ],
                },
            )
        else:
            self._not_found()

    def do_POST(self) -> None:
        raw = self._read_body()
        if self._path() != "/v1/chat/completions":
            self._not_found()
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._send_json(
                400,
                error_body(400, "We could not parse the JSON body of your request."),
            )
            return
        self.fake._record(body)
        self._reply(body, self.fake._next_reply(body))

    def do_PUT(self) -> None:
        self._drain_body()
        self._not_found()

    def do_PATCH(self) -> None:
        self._drain_body()
        self._not_found()

    def do_DELETE(self) -> None:
        self._drain_body()
        self._not_found()

    # --- replies -------------------------------------------------------------------------------

    def _reply(self, body: dict[str, Any], reply: ScriptedReply) -> None:
        streaming = body.get("stream") is True
        if reply.kind == "close":
            self.close_connection = True
            return
        if reply.kind == "status":
            headers = {"Retry-After": reply.retry_after} if reply.retry_after is not None else {}
            self._send_json(reply.status, error_body(reply.status), headers)
            return
        if reply.kind == "garbage":
            # The same non-JSON, non-SSE body whether or not the request asked to stream.
            self._send_bytes(200, GARBAGE_BODY, "application/json")
            return
        if reply.kind == "slow" and reply.delay_s > 0 and self.fake._stopping.wait(reply.delay_s):
            self.close_connection = True  # the server is shutting down: drop the request
            return
        if reply.kind == "hold":
            self.fake._held_waiting(+1)
            self.fake._released.wait()
            self.fake._held_waiting(-1)
            if self.fake._stopping.is_set():
                self.close_connection = True
                return
        if reply.kind == "trickle":
            self._send_trickle(body, reply, streaming)
        elif streaming:
            self._send_stream(body, reply.content, reply.chunk_delay_s)
        else:
            self._send_json(200, completion(body, reply.content))

    def _send_stream(self, body: dict[str, Any], content: str, chunk_delay_s: float = 0.0) -> None:
        self._stream_headers()
        for event in stream_events(body, content):
            carries_text = bool(event["choices"] and event["choices"][0]["delta"].get("content"))
            if chunk_delay_s and carries_text and self.fake._stopping.wait(chunk_delay_s):
                return
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send_trickle(self, body: dict[str, Any], reply: ScriptedReply, streaming: bool) -> None:
        """The whole reply, one byte at a time: each byte its own HTTP chunk."""
        if streaming:
            events = stream_events(body, reply.content)
            data = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
            data += b"data: [DONE]\n\n"
            self._stream_headers()
        else:
            data = json.dumps(completion(body, reply.content)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
        for index in range(len(data)):
            if self.fake._stopping.wait(reply.byte_delay_s):
                self.close_connection = True
                return
            self._write_chunk(data[index : index + 1])
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _stream_headers(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _not_found(self) -> None:
        self._send_json(
            404,
            {
                "error": {
                    "message": f"Invalid URL ({self.command} {self.path})",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            },
        )

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self,
        status: int,
        data: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    # --- request bodies ------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _drain_body(self) -> None:
        self._read_body()


class FakeOpenAIServer:
    """A scripted OpenAI chat-completions server on 127.0.0.1, on a free port."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.requests: list[dict[str, Any]] = []
        self.default = ScriptedReply("ok", content="[default reply]")
        # with no scripted reply left: the default's kind and delays, with this content
        self.responder: Callable[[dict[str, Any]], str] | None = None
        self._queue: deque[ScriptedReply] = deque()
        self._keyed: dict[str, deque[ScriptedReply]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._held = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL of the running server, e.g. ``http://127.0.0.1:PORT/v1``."""
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: ScriptedReply, when: str | None = None) -> None:
        """Queue replies; each chat-completions request pops one, then ``default`` is used.

        With ``when``, only requests whose messages contain that text take these replies (before
        any unkeyed ones). ``script()`` with no replies clears every queue."""
        with self._lock:
            if not replies and when is None:
                self._queue.clear()
                self._keyed.clear()
            elif when is None:
                self._queue.extend(replies)
            else:
                self._keyed.setdefault(when, deque()).extend(replies)

    def hold(self) -> None:
        """From now on, "hold" replies wait until :meth:`release`."""
        self._released.clear()

    def release(self) -> None:
        """Let every held request (and later ones) answer."""
        self._released.set()

    @property
    def held(self) -> int:
        """How many requests are waiting in a "hold" reply right now."""
        with self._lock:
            return self._held

    def start(self) -> FakeOpenAIServer:
        if self._httpd is not None:
            raise RuntimeError("FakeOpenAIServer is already running")
        self._stopping.clear()
        self._httpd = _HTTPServer(self, self.port)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; returns promptly even while slow handlers are sleeping."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # wakes "slow" handlers, which then drop their connection
        self._released.set()  # and held ones
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- used by the request handler -----------------------------------------------------------

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)

    def _next_reply(self, body: dict[str, Any]) -> ScriptedReply:
        text = json.dumps(body.get("messages"), ensure_ascii=False)
        with self._lock:
            for when, queue in self._keyed.items():
                if queue and when in text:
                    return queue.popleft()
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return replace(self.default, content=self.responder(body))
        return self.default

    def _held_waiting(self, change: int) -> None:
        with self._lock:
            self._held += change


if __name__ == "__main__":  # python -m fakes.openai_server --port P --mode judge
    from fakes.fake_judge import main

    main()
