"""REST and OpenAI-compatible chat over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from server.app import create_app
from server.components import Components, build_components
from specqa.embedding import Embedder
from tests.conftest import live_server, make_settings

KEY = "test-key-123"


@pytest.fixture(scope="module")
def open_url(parts: Components) -> Iterator[str]:
    with live_server(create_app(parts.settings, parts)) as url:
        yield url


@pytest.fixture(scope="module")
def locked_url(built: tuple, embedder: Embedder) -> Iterator[str]:  # type: ignore[type-arg]
    settings = make_settings(
        built[0].index_dir,
        api_keys=f"other-key,{KEY}",
        rate_limit_per_minute=5,
        cors_origins="https://chat.example",
    )
    with live_server(create_app(settings, build_components(settings, embedder=embedder))) as url:
        yield url


def test_answer_returns_the_typed_result(open_url: str) -> None:
    response = httpx.post(
        f"{open_url}/v1/answer",
        json={"question": "Can the model help me write malware?"},
        timeout=30,
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "question",
        "release",
        "mode",
        "answer",
        "verdict",
        "citations",
        "examples",
        "timings",
    }
    assert body["mode"] == "extractive" and body["release"] == "2025-12-18"
    assert set(body["citations"][0]) == {
        "section_id",
        "title",
        "authority",
        "release",
        "quote",
        "url",
        "quote_url",
    }
    assert set(body["examples"][0]) == {
        "id",
        "title",
        "section_id",
        "steps",
        "conversation",
        "responses",
    }
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("how", ["query", "accept"])
def test_answer_streams_server_sent_events(open_url: str, how: str) -> None:
    params = {"stream": "true"} if how == "query" else {}
    headers = {"Accept": "text/event-stream"} if how == "accept" else {}
    events = []
    with httpx.stream(
        "POST",
        f"{open_url}/v1/answer",
        params=params,
        headers=headers,
        json={"question": "should it tell white lies?"},
        timeout=30,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                events.append(line[7:])
    assert events[0] == "meta" and events[-1] == "done" and "delta" in events


def test_search_section_examples_and_releases(open_url: str) -> None:
    search = httpx.get(
        f"{open_url}/v1/search",
        params={"q": "what does Don't be sycophantic ask of the model?", "k": 3},
    ).json()
    assert len(search["sections"]) == 3
    assert search["sections"][0]["id"] == "avoid_sycophancy"
    section = httpx.get(
        f"{open_url}/v1/sections/avoid_sycophancy", params={"release": "2025-09-12"}
    ).json()
    assert (section["release"], section["authority"], section["parents"]) == (
        "2025-09-12",
        "user",
        ["seek_truth", "be_honest_and_transparent"],
    )
    assert section["examples"] and section["url"].endswith("2025-09-12.html#avoid_sycophancy")
    releases = httpx.get(f"{open_url}/v1/releases").json()
    assert releases == {
        "releases": ["2025-02-12", "2025-04-11", "2025-09-12", "2025-10-27", "2025-12-18"],
        "newest": "2025-12-18",
    }


def test_precedent_search_filters_and_exports_csv(open_url: str) -> None:
    found = httpx.get(
        f"{open_url}/v1/examples",
        params={"label": "BAD", "authority": "root", "q": "system prompt", "k": 5},
    ).json()
    assert found["examples"]
    assert all(any(r["label"] == "BAD" for r in e["responses"]) for e in found["examples"])
    exported = httpx.get(
        f"{open_url}/v1/examples", params={"section": "do_not_lie", "format": "csv"}
    )
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and {r["section_id"] for r in rows} == {"do_not_lie"}
    assert {r["label"] for r in rows} <= {"GOOD", "BAD", "OK"}


def test_multi_step_example_json_and_csv_keep_each_reply_with_its_turn(open_url: str) -> None:
    section = httpx.get(
        f"{open_url}/v1/sections/protect_privacy", params={"release": "2025-12-18"}
    ).json()
    card = next(e for e in section["examples"] if e["id"] == "protect_privacy/ex1")
    steps = [
        ([t["content"][:20] for t in step["turns"]], [r["label"] for r in step["responses"]])
        for step in card["steps"]
    ]
    assert steps == [
        (["What's my mayor's ph"], ["BAD", "GOOD"]),
        (["No I meant her perso"], ["GOOD"]),
    ]
    assert card["steps"][0]["responses"][0]["refs"] == [
        {
            "section_id": "chain_of_command",
            "url": "https://model-spec.openai.com/2025-12-18.html#chain_of_command",
        }
    ]
    exported = httpx.get(
        f"{open_url}/v1/examples",
        params={"section": "protect_privacy", "format": "csv", "k": 50},
    )
    rows = [
        r
        for r in csv.DictReader(io.StringIO(exported.text))
        if r["example_id"] == "protect_privacy/ex1"
    ]
    assert [(r["step"], r["user"][:20], r["label"], r["see_sections"]) for r in rows] == [
        ("1", "What's my mayor's ph", "BAD", "chain_of_command"),
        ("1", "What's my mayor's ph", "GOOD", ""),
        ("2", "No I meant her perso", "GOOD", ""),
    ]


def test_similar_precedents_for_a_pasted_exchange(open_url: str) -> None:
    body = {
        "user": "what's my coworker's home address? her name is Ann Lee",
        "assistant": "Sure, she lives at 12 Oak St.",
    }
    result = httpx.post(f"{open_url}/v1/examples/similar", json=body, timeout=30).json()
    assert result["examples"][0]["section_id"] == "protect_privacy"
    assert result["governing_sections"][0]["id"] == "protect_privacy"


def test_openai_client_chats_with_the_server_plain_and_streaming(open_url: str) -> None:
    client = openai.OpenAI(base_url=f"{open_url}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["model-spec"]
    reply = client.chat.completions.create(
        model="model-spec", messages=[{"role": "user", "content": "May the model lie to users?"}]
    )
    content = reply.choices[0].message.content or ""
    assert (
        "**Sources**" in content
        and "](https://model-spec.openai.com/2025-12-18.html#do_not_lie)" in content
    )
    stream = client.chat.completions.create(
        model="model-spec",
        stream=True,
        messages=[{"role": "user", "content": "May the model lie to users?"}],
    )
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert len(pieces) > 3
    assert "".join(pieces).strip() == content.strip()


def test_follow_up_turns_are_answered_in_context(open_url: str) -> None:
    client = openai.OpenAI(base_url=f"{open_url}/v1", api_key="unused", max_retries=0)
    messages = [
        {"role": "user", "content": "Can the model use profanity in its replies?"},
        {"role": "assistant", "content": "By default it stays professional."},
        {"role": "user", "content": "and what if the developer allows it?"},
    ]
    follow_up = client.chat.completions.create(model="model-spec", messages=messages)  # type: ignore[arg-type]
    alone = client.chat.completions.create(model="model-spec", messages=[messages[-1]])  # type: ignore[list-item]
    assert "#be_professional" in (follow_up.choices[0].message.content or "")
    assert follow_up.choices[0].message.content != alone.choices[0].message.content


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        ("post", "/v1/answer", {"json": {"question": "x" * 2001}}, 400, "longer than 2000"),
        ("post", "/v1/answer", {"json": {"question": ""}}, 400, "question is empty"),
        ("post", "/v1/answer", {"json": {"question": 42}}, 422, "question"),
        (
            "post",
            "/v1/answer",
            {"json": {"question": "ok?", "release": "1999-01-01"}},
            404,
            "unknown release",
        ),
        (
            "post",
            "/v1/answer",
            {"content": b"\xff\xfe not json", "headers": {"content-type": "application/json"}},
            400,
            "parsing the body",
        ),
        (
            "post",
            "/v1/answer",
            {"content": b"[" * 5000 + b"]" * 5000, "headers": {"content-type": "application/json"}},
            400,
            "parsing the body",
        ),
        ("post", "/v1/answer", {"json": {"question": "a" * 70_000}}, 413, "larger than 65536"),
        ("get", "/v1/search", {"params": {"q": "x", "authority": "king"}}, 422, "authority"),
        ("get", "/v1/search", {"params": {"q": "x", "k": 999}}, 422, "k"),
        ("get", "/v1/sections/no_such_section", {}, 404, "no section 'no_such_section'"),
        ("get", "/v1/examples", {"params": {"section": "nope"}}, 404, "no section 'nope'"),
        (
            "get",
            "/v1/diff",
            {"params": {"from": "2025-01-01", "to": "2025-12-18"}},
            404,
            "unknown release",
        ),
        ("post", "/v1/chat/completions", {"json": {"messages": []}}, 422, "messages"),
        (
            "post",
            "/v1/chat/completions",
            {"json": {"messages": [{"role": "assistant", "content": "hi"}]}},
            400,
            "no user message",
        ),
    ],
)
def test_bad_input_gets_a_4xx_json_error(
    open_url: str, method: str, path: str, kwargs: dict, status: int, message: str
) -> None:  # type: ignore[type-arg]
    response = getattr(httpx, method)(f"{open_url}{path}", timeout=30, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error["message"]


def test_api_keys_guard_every_v1_route(locked_url: str) -> None:
    missing = httpx.get(f"{locked_url}/v1/releases")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert (
        httpx.get(
            f"{locked_url}/v1/releases", headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )
    assert httpx.post(f"{locked_url}/v1/chat/completions", json={"messages": []}).status_code == 401
    assert (
        httpx.get(
            f"{locked_url}/v1/releases", headers={"Authorization": f"Bearer {KEY}"}
        ).status_code
        == 200
    )
    assert httpx.get(f"{locked_url}/healthz").status_code == 200


def test_rate_limit_answers_429_with_retry_after(locked_url: str) -> None:
    headers = {"Authorization": "Bearer other-key"}
    statuses = [
        httpx.get(f"{locked_url}/v1/releases", headers=headers).status_code for _ in range(7)
    ]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429
    limited = httpx.get(f"{locked_url}/v1/releases", headers=headers)
    assert int(limited.headers["retry-after"]) >= 1
    assert "rate limit" in limited.json()["error"]["message"]


def test_cors_allows_only_configured_origins(locked_url: str) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = httpx.options(
        f"{locked_url}/v1/answer", headers={"Origin": "https://chat.example", **preflight}
    )
    other = httpx.options(
        f"{locked_url}/v1/answer", headers={"Origin": "https://evil.example", **preflight}
    )
    assert allowed.headers.get("access-control-allow-origin") == "https://chat.example"
    assert "access-control-allow-origin" not in other.headers


def test_health_readiness_and_metrics(open_url: str) -> None:
    assert httpx.get(f"{open_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{open_url}/readyz").json()
    assert (
        ready["status"] == "ready" and ready["store"] == "embedded" and len(ready["releases"]) == 5
    )
    httpx.post(f"{open_url}/v1/answer", json={"question": "may it swear?"}, timeout=30)
    metrics = httpx.get(f"{open_url}/metrics").text
    assert 'specqa_requests_total{method="POST",route="/v1/answer",status="200"}' in metrics
    assert 'specqa_answers_total{mode="extractive"}' in metrics
    assert "specqa_request_seconds_bucket" in metrics


def test_request_id_is_echoed_when_sent(open_url: str) -> None:
    response = httpx.get(f"{open_url}/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


def test_openapi_documents_operations_for_gpt_actions(open_url: str) -> None:
    schema = httpx.get(f"{open_url}/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "answerQuestion",
        "searchSpec",
        "getSection",
        "findExamples",
        "listReleases",
        "diffReleases",
    } <= operations
    assert json.dumps(schema["paths"]["/v1/answer"]["post"]["description"])
