"""The fake OpenAI server, exercised with the official ``openai`` client over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from fakes.openai_server import FakeOpenAIServer, ScriptedReply

MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [
    {"role": "system", "content": "Answer from the Model Spec."},
    {"role": "user", "content": "What is the chain of command?"},
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def client(fake: FakeOpenAIServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as c:
        yield c


def test_base_url_is_a_local_v1_url_on_a_real_port(fake: FakeOpenAIServer) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/v1")
    port = int(fake.base_url.removeprefix("http://127.0.0.1:").removesuffix("/v1"))
    assert port > 0


def test_plain_completion_returns_scripted_content_and_records_the_request(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("ok", content="The chain of command orders instructions."))

    completion = client.chat.completions.create(model="gpt-test", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.model == "gpt-test"
    assert completion.id.startswith("chatcmpl-")
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "The chain of command orders instructions."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert len(fake.requests) == 1
    assert fake.requests[0]["model"] == "gpt-test"
    assert fake.requests[0]["messages"] == MESSAGES


def test_replies_are_used_in_script_order_then_the_default(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("ok", content="first"), ScriptedReply("ok", content="second"))

    contents = [
        client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
        for _ in range(3)
    ]

    assert contents == ["first", "second", "[default reply]"]
    assert len(fake.requests) == 3


def test_streaming_reassembles_the_content_from_several_chunks_and_ends_with_stop(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    content = "Streaming answers arrive in small pieces, like this one."
    fake.script(ScriptedReply("ok", content=content))

    chunks = list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))

    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 1
    assert all(len(piece) <= 8 for piece in pieces)
    assert "".join(pieces) == content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert fake.requests[0]["stream"] is True


def test_streaming_wire_format_is_sse_data_events_ending_with_done(
    fake: FakeOpenAIServer,
) -> None:
    fake.script(ScriptedReply("ok", content="0123456789abcdef"))
    body = {"model": "m", "messages": MESSAGES, "stream": True}

    response = httpx.post(f"{fake.base_url}/chat/completions", json=body, timeout=5)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-1] == ""
    assert all(event.startswith("data: ") for event in events[:-1])
    assert events[-2] == "data: [DONE]"
    payloads = [json.loads(event.removeprefix("data: ")) for event in events[:-2]]
    assert [p["choices"][0]["delta"].get("content") for p in payloads] == [
        "",
        "01234567",
        "89abcdef",
        None,
    ]


def test_streaming_with_include_usage_ends_with_a_usage_chunk(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("ok", content="three word answer"))

    chunks = list(
        client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3


def test_status_500_raises_internal_server_error(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("status", status=500))

    with pytest.raises(openai.InternalServerError) as excinfo:
        client.chat.completions.create(model="m", messages=MESSAGES)

    assert excinfo.value.status_code == 500
    assert isinstance(excinfo.value.body, dict)
    assert excinfo.value.body["type"] == "server_error"


def test_status_500_on_a_streaming_request_raises_internal_server_error(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("status", status=500))

    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=MESSAGES, stream=True)


def test_status_429_raises_rate_limit_error_with_the_retry_after_header(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("status", status=429, retry_after="7"))

    with pytest.raises(openai.RateLimitError) as excinfo:
        client.chat.completions.create(model="m", messages=MESSAGES)

    assert excinfo.value.status_code == 429
    assert excinfo.value.response.headers["retry-after"] == "7"
    assert excinfo.value.code == "rate_limit_exceeded"


def test_status_503_without_retry_after_raises_internal_server_error_without_the_header(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("status", status=503))

    with pytest.raises(openai.InternalServerError) as excinfo:
        client.chat.completions.create(model="m", messages=MESSAGES)

    assert excinfo.value.status_code == 503
    assert "retry-after" not in excinfo.value.response.headers


def test_client_retry_after_a_429_receives_the_next_scripted_reply(
    fake: FakeOpenAIServer,
) -> None:
    fake.script(
        ScriptedReply("status", status=429, retry_after="0"),
        ScriptedReply("ok", content="after retry"),
    )
    with openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=1) as retrying:
        completion = retrying.chat.completions.create(model="m", messages=MESSAGES)

    assert completion.choices[0].message.content == "after retry"
    assert len(fake.requests) == 2


def test_garbage_body_raises_json_decode_error_from_the_client(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    # The openai client does not wrap this: it surfaces json.JSONDecodeError (a ValueError).
    fake.script(ScriptedReply("garbage"))

    with pytest.raises(json.JSONDecodeError):
        client.chat.completions.create(model="m", messages=MESSAGES)


def test_garbage_body_on_a_streaming_request_yields_no_chunks_without_raising(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    # Non-SSE lines are ignored by the client's SSE decoder: the stream is silently empty, so
    # code under test must treat "no chunk and no finish_reason" as a failure itself.
    fake.script(ScriptedReply("garbage"))

    chunks = list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))

    assert chunks == []


def test_dropped_connection_raises_api_connection_error(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("close"))

    with pytest.raises(openai.APIConnectionError) as excinfo:
        client.chat.completions.create(model="m", messages=MESSAGES)

    assert not isinstance(excinfo.value, openai.APITimeoutError)
    assert len(fake.requests) == 1


def test_slow_reply_within_the_client_timeout_is_returned(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("slow", content="eventually", delay_s=0.2))

    started = time.monotonic()
    completion = client.chat.completions.create(model="m", messages=MESSAGES, timeout=5)

    assert completion.choices[0].message.content == "eventually"
    assert time.monotonic() - started >= 0.2


def test_slow_reply_beyond_the_client_timeout_raises_api_timeout_error(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("slow", content="too late", delay_s=3))

    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(model="m", messages=MESSAGES)


def test_stop_returns_quickly_while_a_slow_handler_is_sleeping() -> None:
    server = FakeOpenAIServer().start()
    server.script(ScriptedReply("slow", content="never sent", delay_s=60))
    outcome: list[BaseException] = []

    def call() -> None:
        with openai.OpenAI(base_url=server.base_url, api_key="t", max_retries=0) as c:
            try:
                c.chat.completions.create(model="m", messages=MESSAGES, timeout=30)
            except openai.APIError as exc:
                outcome.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.requests, "the slow request never reached the server"

    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2

    caller.join(timeout=5)
    assert not caller.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], openai.APIConnectionError)


def test_concurrent_requests_are_all_recorded(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    def ask(i: int) -> str | None:
        completion = client.chat.completions.create(
            model=f"m-{i}", messages=[{"role": "user", "content": str(i)}]
        )
        return completion.choices[0].message.content

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, range(20)))

    assert answers == ["[default reply]"] * 20
    assert sorted(r["model"] for r in fake.requests) == sorted(f"m-{i}" for i in range(20))


def test_models_endpoint_lists_the_fake_model(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["fake-model"]


def test_unknown_paths_answer_404_json(fake: FakeOpenAIServer, client: openai.OpenAI) -> None:
    response = httpx.get(f"{fake.base_url}/nope", timeout=5)
    assert response.status_code == 404
    assert "error" in response.json()

    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="m", input="x")
    assert fake.requests == []


def test_base_url_before_start_raises() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = FakeOpenAIServer().base_url


def test_replies_scripted_for_a_text_go_to_requests_that_contain_it(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("ok", content="general"))
    fake.script(ScriptedReply("ok", content="routed"), when="TABLE OF CONTENTS")
    routing: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": "Pick from this TABLE OF CONTENTS."},
        {"role": "user", "content": "Which section?"},
    ]
    first = client.chat.completions.create(model="m", messages=MESSAGES)
    second = client.chat.completions.create(model="m", messages=routing)
    third = client.chat.completions.create(model="m", messages=routing)
    assert [c.choices[0].message.content for c in (first, second, third)] == [
        "general",
        "routed",
        "[default reply]",
    ]


def test_held_replies_wait_until_released(fake: FakeOpenAIServer, client: openai.OpenAI) -> None:
    fake.default = ScriptedReply("hold", content="after release")
    with ThreadPoolExecutor(max_workers=3) as pool:
        calls = [
            pool.submit(client.chat.completions.create, model="m", messages=MESSAGES)
            for _ in range(3)
        ]
        while fake.held < 3:
            time.sleep(0.02)
        assert not any(call.done() for call in calls)
        fake.release()
        contents = [call.result(timeout=30).choices[0].message.content for call in calls]
    assert contents == ["after release"] * 3
    assert fake.held == 0


def test_stop_ends_held_requests() -> None:
    server = FakeOpenAIServer().start()
    server.default = ScriptedReply("hold", content="never")
    with (
        openai.OpenAI(base_url=server.base_url, api_key="t", max_retries=0) as held_client,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        call = pool.submit(held_client.chat.completions.create, model="m", messages=MESSAGES)
        while server.held < 1:
            time.sleep(0.02)
        server.stop()
        with pytest.raises(openai.APIConnectionError):
            call.result(timeout=30)


def test_chunk_delay_still_streams_the_whole_content(
    fake: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    fake.script(ScriptedReply("ok", content="spaced out stream content", chunk_delay_s=0.01))
    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    pieces = [
        c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) > 2 and "".join(pieces) == "spaced out stream content"
