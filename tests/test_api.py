"""REST and OpenAI-compatible chat over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from server.app import create_app
from server.composition.components import Components
from server.domain.schemas import SearchResponse, SectionCard
from server.settings import Settings
from tests.conftest import make_settings
from tests.helpers import after_short_answer, app_client, live_server, serve_app, wait_until

KEY = "test-key-123"


def _locked_settings(built: tuple) -> Settings:  # type: ignore[type-arg]
    return make_settings(
        built[0].index.index_dir,
        api_keys=f"other-key,{KEY}",
        rate_limit_per_minute=5,
        cors_origins="https://chat.example",
    )


@pytest.fixture(scope="module")
def locked_url(built: tuple, parts: Components) -> Iterator[str]:  # type: ignore[type-arg]
    """Keys, limits and CORS under uvicorn: for what depends on the peer's address."""
    with serve_app(_locked_settings(built), parts) as url:
        yield url


@pytest.fixture(scope="module")
def locked(built: tuple, parts: Components) -> Iterator[httpx.Client]:  # type: ignore[type-arg]
    """The same settings in process: for statuses, headers and bodies."""
    with app_client(_locked_settings(built), parts) as client:
        yield client


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


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_showing_example_cards_can_leave_the_example_list_out_of_the_text(
    open_url: str, stream: bool
) -> None:
    question = {"question": "Can the model help me write malware?", "mode": "extractive"}
    listed = _final_answer(open_url, question, stream)
    carded = _final_answer(open_url, {**question, "list_examples": False}, stream)
    assert "**Matching examples**" in listed["answer"]
    assert "Matching examples" not in carded["answer"]
    assert carded["examples"] == listed["examples"] and carded["examples"]
    before, _, listing = str(listed["answer"]).partition("**Matching examples**")
    footer = listing.rsplit("\n", 1)[1]
    assert footer.startswith("*Quoted from the Model Spec")
    assert carded["answer"] == before + footer  # only the list goes


def _final_answer(url: str, body: dict[str, object], stream: bool) -> dict[str, object]:
    if not stream:
        response = httpx.post(f"{url}/v1/answer", json=body, timeout=30)
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]
    with httpx.stream(
        "POST", f"{url}/v1/answer", params={"stream": "true"}, json=body, timeout=30
    ) as response:
        data = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    return json.loads(data[-1])  # type: ignore[no-any-return]


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
    assert search["sections"][0]["id"] == search["sections"][0]["section_id"] == "avoid_sycophancy"
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


def test_a_search_hit_names_its_section_id_as_citations_do_and_keeps_id(tmp_path: Path) -> None:
    """Issue 24 item 19: /v1/search named a section ``id`` where citations say ``section_id``."""
    card = SectionCard(
        id="avoid_sycophancy",
        title="Don't be sycophantic",
        level=3,
        release="2025-12-18",
        authority="user",
        authority_meaning="",
        parents=[],
        path=[],
        attributes={},
        body="",
        commentary=[],
        url="u",
    )
    found = SearchResponse(query="q", release="2025-12-18", sections=[card], examples=[])
    [hit] = found.model_dump(mode="json")["sections"]
    assert hit["section_id"] == hit["id"] == "avoid_sycophancy"
    schemas = create_app(make_settings(tmp_path)).openapi()["components"]["schemas"]
    assert {"id", "section_id"} <= set(schemas["SectionCard"]["required"])


def test_precedent_search_filters_and_exports_csv(open_url: str) -> None:
    found = httpx.get(
        f"{open_url}/v1/examples",
        params={"label": "BAD", "authority": "root", "q": "system prompt", "k": 5},
        timeout=30,
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


def test_a_precedent_listing_says_how_many_match_and_a_download_has_them_all(
    open_url: str,
) -> None:
    """`?label=BAD` listed 20 of 156 and its CSV "download of the result set" held the same 20,
    with no word of the rest."""
    listed = httpx.get(f"{open_url}/v1/examples", params={"label": "BAD"}, timeout=30).json()
    assert len(listed["examples"]) == 20 < listed["matching"]
    exported = httpx.get(
        f"{open_url}/v1/examples", params={"label": "BAD", "format": "csv"}, timeout=30
    )
    ids = {r["example_id"] for r in csv.DictReader(io.StringIO(exported.text))}
    assert len(ids) == listed["matching"]
    downloaded = httpx.get(
        f"{open_url}/v1/examples", params={"label": "BAD", "format": "json"}, timeout=30
    ).json()
    assert len(downloaded["examples"]) == downloaded["matching"] == listed["matching"]


def test_a_label_or_level_filter_takes_any_case_and_a_blank_one_filters_nothing(
    open_url: str,
) -> None:
    """The CLI took `--label good`; the API refused `label=good` (422), `authority=ROOT` and a
    blank filter."""

    def matching(label: str | None) -> int:
        params = {"label": label} if label is not None else {}
        listed = httpx.get(f"{open_url}/v1/examples", params=params, timeout=30)
        assert listed.status_code == 200, listed.text
        return int(listed.json()["matching"])

    assert matching("bad") == matching("BAD") < matching("") == matching(None)
    assert matching("good") == matching("GOOD")

    def of_level(level: str) -> int:
        listed = httpx.get(f"{open_url}/v1/examples", params={"authority": level}, timeout=30)
        assert listed.status_code == 200, listed.text
        return int(listed.json()["matching"])

    assert of_level("ROOT") == of_level("root") < of_level("") == matching(None)


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
    assert client.models.retrieve("model-spec").id == "model-spec"
    with pytest.raises(openai.NotFoundError, match="this server serves 'model-spec'"):
        client.models.retrieve("gpt-4o")
    reply = client.chat.completions.create(
        model="model-spec", messages=[{"role": "user", "content": "May the model lie to users?"}]
    )
    content = reply.choices[0].message.content or ""
    assert after_short_answer(content).startswith("**Bottom line:**")
    assert "**Confidence: " in content
    assert "](https://model-spec.openai.com/2025-12-18.html#do_not_lie)" in content
    stream = client.chat.completions.create(
        model="model-spec",
        stream=True,
        messages=[{"role": "user", "content": "May the model lie to users?"}],
    )
    chunks = list(stream)
    pieces = [chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices]
    assert len(pieces) > 3
    assert "".join(pieces).strip() == content.strip()
    # a completion is rated by its id, whole or streamed (each chunk carries the same one)
    assert len({chunk.id for chunk in chunks}) == 1
    for completion_id in (reply.id, chunks[0].id):
        rated = httpx.post(
            f"{open_url}/v1/feedback",
            json={"answer_id": completion_id, "rating": "up"},
            timeout=30,
        )
        assert rated.status_code == 201, rated.text
        assert rated.json()["answer_id"] == completion_id.removeprefix("chatcmpl-")


def test_a_chat_client_names_the_release_in_its_extra_body(open_url: str) -> None:
    client = openai.OpenAI(base_url=f"{open_url}/v1", api_key="unused", max_retries=0)
    messages = [{"role": "user", "content": "May the model lie to users?"}]
    reply = client.chat.completions.create(
        model="model-spec", messages=messages, extra_body={"release": "2025-02-12"}
    )
    content = reply.choices[0].message.content or ""
    assert "](https://model-spec.openai.com/2025-02-12.html#" in content
    assert "2025-12-18.html" not in content


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


def test_a_chat_follow_up_naming_a_release_answers_the_topic_in_that_release(
    open_url: str,
) -> None:
    client = openai.OpenAI(base_url=f"{open_url}/v1", api_key="unused", max_retries=0)
    messages = [
        {"role": "user", "content": "Will it help me pick a lock?"},
        {"role": "assistant", "content": "It does not facilitate illicit behaviour."},
        {"role": "user", "content": "what about the 2025-02-12 release?"},
    ]
    reply = client.chat.completions.create(model="model-spec", messages=messages)  # type: ignore[arg-type]
    content = reply.choices[0].message.content or ""
    assert "2025-02-12.html#do_not_facilitate_illicit_behavior" in content
    assert "2025-12-18.html" not in content


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        ("post", "/v1/answer", {"json": {"question": "x" * 2001}}, 400, "longer than 2000"),
        ("post", "/v1/answer", {"json": {"question": ""}}, 400, "question is empty"),
        ("get", "/v1/search?q=%20", {}, 400, "q is empty"),
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
        (
            "post",
            "/v1/answer",
            {"content": b'{"question": "x"', "headers": {"content-type": "application/json"}},
            400,
            "the body is not valid JSON (at character 16): Expecting",
        ),
        (
            "post",
            "/v1/examples/similar",
            {"json": {"user": "a" * 70_000}},
            413,
            "larger than 65536",
        ),
        # a conversation's route takes a larger body (a chat resends every turn): the question
        # itself is then what is too long
        ("post", "/v1/answer", {"json": {"question": "a" * 70_000}}, 400, "longer than 2000"),
        ("get", "/v1/search", {"params": {"q": "x", "authority": "king"}}, 422, "authority"),
        ("get", "/v1/search", {"params": {"q": "x", "k": 999}}, 422, "k"),
        ("get", "/v1/sections/no_such_section", {}, 404, "no section 'no_such_section'"),
        ("get", "/v1/sections/be_kind", {}, 404, "it is 'love_humanity' there (renamed"),
        ("get", "/v1/examples", {"params": {"section": "be_kind"}}, 404, "'love_humanity' there"),
        (
            "get",
            "/v1/diff",
            {"params": {"from": "2025-10-27", "to": "2025-12-18", "section": "be_kind"}},
            404,
            "it is 'love_humanity' there",
        ),
        (
            "get",
            "/v1/sections/prioritize_teen_safety",
            {"params": {"release": "2025-02-12"}},
            404,
            "it is only in 2025-12-18",
        ),
        ("get", "/v1/examples", {"params": {"section": "nope"}}, 404, "no section 'nope'"),
        (
            "get",
            "/v1/examples",
            {"params": {"authority": "platform"}},
            400,
            "no section of release 2025-12-18 has authority 'platform' (its levels: root,",
        ),
        (
            "get",
            "/v1/search",
            {"params": {"q": "privacy", "authority": "root", "release": "2025-02-12"}},
            400,
            "'platform' is the older name of root and system",
        ),
        (
            "get",
            "/v1/diff",
            {"params": {"from": "2025-01-01", "to": "2025-12-18"}},
            404,
            "unknown release",
        ),
        (
            "get",
            "/v1/diff",
            {"params": {"from": "", "to": "2025-12-18"}},
            400,
            "from: name a release",
        ),
        (
            "get",
            "/v1/diff",
            {"params": {"from": "2025-10-27", "to": " "}},
            400,
            "to: name a release",
        ),
        ("post", "/v1/chat/completions", {"json": {"messages": []}}, 422, "messages"),
        (
            "post",
            "/v1/chat/completions",
            {"json": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}},
            404,
            "unknown model 'gpt-4o': this server serves 'model-spec'",
        ),
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


def test_api_keys_guard_every_v1_route(locked: httpx.Client) -> None:
    missing = locked.get("/v1/releases")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert locked.get("/v1/releases", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert locked.post("/v1/chat/completions", json={"messages": []}).status_code == 401
    assert locked.get("/v1/releases", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert locked.get("/healthz").status_code == 200


def test_rate_limit_answers_429_with_retry_after(locked: httpx.Client) -> None:
    headers = {"Authorization": "Bearer other-key"}
    statuses = [locked.get("/v1/releases", headers=headers).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429
    limited = locked.get("/v1/releases", headers=headers)
    assert int(limited.headers["retry-after"]) >= 1
    assert "rate limit" in limited.json()["error"]["message"]


def test_cors_allows_only_configured_origins(locked: httpx.Client) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = locked.options("/v1/answer", headers={"Origin": "https://chat.example", **preflight})
    other = locked.options("/v1/answer", headers={"Origin": "https://evil.example", **preflight})
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


def test_openapi_declares_the_error_body_every_refusal_has(tmp_path: Path) -> None:
    """It declared FastAPI's 422 `{"detail": [...]}`, which this server never sends, and no
    400, 404 or 429: a client generated from it misread every error."""
    schema = create_app(make_settings(tmp_path)).openapi()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == ["error"]
    for path, status in [("/v1/answer", "400"), ("/v1/answer", "422"), ("/v1/answer", "429")]:
        content = schema["paths"][path]["post"]["responses"][status]["content"]
        assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


@pytest.mark.parametrize("limit", [2000, 500])
def test_openapi_declares_the_question_limit_the_server_is_configured_with(
    tmp_path: Path, limit: int
) -> None:
    """It declared 100,000 characters (the most a deployment may configure) where the server
    refused past 2,000: a generated client sent what the server would refuse."""
    schema = create_app(make_settings(tmp_path, max_question_chars=limit)).openapi()
    models = schema["components"]["schemas"]
    assert models["AnswerRequest"]["properties"]["question"]["maxLength"] == limit
    assert models["SimilarRequest"]["properties"]["user"]["maxLength"] == limit
    search = schema["paths"]["/v1/search"]["get"]["parameters"]
    assert next(p for p in search if p["name"] == "q")["schema"]["maxLength"] == limit
    listing = schema["paths"]["/v1/examples"]["get"]["parameters"]
    optional = next(p for p in listing if p["name"] == "q")["schema"]["anyOf"]
    assert {"type": "string", "maxLength": limit} in optional
    history = models["AnswerRequest"]["properties"]["history"]["items"]
    assert history["maxLength"] == 100_000  # cut to SPECQA_MAX_HISTORY_TURN_CHARS, not refused


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


# --- hardening, round two (issue 13) -----------------------------------------------------------


def _client_from(address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x address is loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


@pytest.fixture(scope="module")
def throttled_open_url(built: tuple, parts: Components) -> Iterator[str]:  # type: ignore[type-arg]
    """No API keys, 3 requests a minute, and one trusted proxy at 127.0.0.2."""
    settings = make_settings(
        built[0].index.index_dir, rate_limit_per_minute=3, trusted_proxies="127.0.0.2"
    )
    with serve_app(settings, parts) as url:
        yield url


def test_without_auth_the_limit_is_per_client_address_whatever_bearer_arrives(
    throttled_open_url: str,
) -> None:
    with _client_from("127.0.0.11") as client:
        statuses = [
            client.get(
                f"{throttled_open_url}/v1/releases",
                headers={"Authorization": f"Bearer {n:04d}" + "x" * 1000},
            ).status_code
            for n in range(5)
        ]
    assert statuses == [200, 200, 200, 429, 429]


def test_in_process_rate_windows_are_bounded_and_expire() -> None:
    from server.edge.shared_state import BoundedMemoryStorage, Throttle

    storage = BoundedMemoryStorage(max_keys=50)
    throttle = Throttle(storage, per_minute=2)
    for n in range(1_000):
        assert throttle.wait(f"ip:10.0.{n // 250}.{n % 250}") == 0
    assert len(storage.events) <= 50
    assert throttle.wait("ip:10.0.3.249") == 0 and throttle.wait("ip:10.0.3.249") > 0
    short = BoundedMemoryStorage(max_keys=10)
    for n in range(10):  # windows of one second: at the cap, expired windows are dropped first
        short.acquire_entry(f"short:{n}", limit=1, expiry=1)
    newest = max(entry.atime for entries in short.events.values() for entry in entries)
    wait_until(lambda: time.time() > newest + 1.05, 10, "the one-second windows to pass")
    short.acquire_entry("short:new", limit=1, expiry=1)
    assert list(short.events) == ["short:new"]


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(throttled_open_url: str) -> None:
    url = f"{throttled_open_url}/v1/releases"
    with _client_from("127.0.0.2") as proxy:
        first = [
            proxy.get(url, headers={"X-Forwarded-For": "203.0.113.7"}).status_code for _ in range(4)
        ]
        other_user = proxy.get(url, headers={"X-Forwarded-For": "203.0.113.8"}).status_code
    assert first == [200, 200, 200, 429]
    assert other_user == 200  # the proxy's users each have their own window
    with _client_from("127.0.0.12") as untrusted:
        spoofed = [
            untrusted.get(url, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(4)
        ]
    assert spoofed == [200, 200, 200, 429]  # an untrusted peer's header changes nothing


def test_failed_authentication_is_throttled_too(locked_url: str) -> None:
    with _client_from("127.0.0.13") as client:
        statuses = [
            client.get(
                f"{locked_url}/v1/releases", headers={"Authorization": f"Bearer wrong-{n}"}
            ).status_code
            for n in range(8)
        ]
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429


@pytest.mark.parametrize(
    ("path", "payload", "limit"),
    [
        ("/v1/examples/similar", {"user": "a" * 70_000}, 65536),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "a" * 1_100_000}]},
            1048576,
        ),
    ],
)
def test_a_chunked_body_over_the_limit_gets_413(
    open_url: str,
    path: str,
    payload: dict,  # type: ignore[type-arg]
    limit: int,
) -> None:
    data = json.dumps(payload).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for start in range(0, len(data), 8192):
            yield data[start : start + 8192]

    response = httpx.post(
        f"{open_url}{path}",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["message"] == f"request body larger than {limit} bytes"
    assert response.headers["x-request-id"]


def test_a_long_chat_that_resends_every_answer_is_answered_not_refused(open_url: str) -> None:
    """A chat client resends the whole conversation, the server's own long answers too: at 26
    turns it passed 64 KiB and got 413. Its earlier turns are trimmed instead."""
    client = openai.OpenAI(base_url=f"{open_url}/v1", api_key="unused", max_retries=0)
    earlier: list[dict[str, str]] = []
    for turn in range(40):
        earlier.append({"role": "user", "content": f"Question {turn} about privacy?"})
        earlier.append({"role": "assistant", "content": "An answer quoting the spec. " * 200})
    messages = [*earlier, {"role": "user", "content": "May the model lie to users?"}]
    assert len(json.dumps(messages)) > 200_000
    reply = client.chat.completions.create(model="model-spec", messages=messages)  # type: ignore[arg-type]
    assert "#do_not_lie" in (reply.choices[0].message.content or "")


def test_an_unexpected_error_is_a_logged_counted_500_with_a_request_id(parts: Components) -> None:
    app = create_app(parts.settings, parts)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("specqa")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with live_server(app) as url:
            response = httpx.get(f"{url}/broken", headers={"X-Request-ID": "req-500"})
            metrics = httpx.get(f"{url}/metrics").text
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"
    assert response.json()["error"]["type"] == "internal_error"
    assert "a bug" not in response.text
    assert 'specqa_requests_total{method="GET",route="/broken",status="500"}' in metrics
    failures = [r for r in records if r.levelno == logging.ERROR and r.exc_info]
    assert failures and failures[0].fields["request_id"] == "req-500"  # type: ignore[attr-defined]
    access = [r for r in records if r.getMessage() == "request"]
    assert any(r.fields["status"] == 500 for r in access)  # type: ignore[attr-defined]


def test_the_page_under_static_has_the_same_protection_as_the_root(open_url: str) -> None:
    root = httpx.get(f"{open_url}/")
    static = httpx.get(f"{open_url}/static/index.html")
    assert static.status_code == 200
    for header in ("content-security-policy", "x-frame-options", "x-content-type-options"):
        assert static.headers[header] == root.headers[header]


def test_chat_content_of_the_wrong_type_is_a_400(open_url: str) -> None:
    message = {"role": "user", "content": [{"type": "text", "text": ["not", "a", "string"]}]}
    response = httpx.post(
        f"{open_url}/v1/chat/completions", json={"messages": [message]}, timeout=30
    )
    assert response.status_code == 400
    assert "must be a string" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("temperature", "hot", "temperature: Input should be a valid number"),
        ("temperature", 3, "temperature: Input should be less than or equal to 2"),
        ("n", 0, "n: Input should be greater than or equal to 1"),
        ("n", 2, "n: Input should be less than or equal to 1"),
        ("max_tokens", 0, "max_tokens: Input should be greater than or equal to 1"),
    ],
)
def test_a_chat_sampling_parameter_openai_would_refuse_is_a_422_naming_it(
    open_url: str, parameter: str, value: object, message: str
) -> None:
    """They were accepted whatever they held; the OpenAI clients' own values still pass."""
    body = {"messages": [{"role": "user", "content": "Can it lie?"}], parameter: value}
    response = httpx.post(f"{open_url}/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(message)
    fine = {**body, "temperature": 0.2, "top_p": 1, "n": 1, "max_tokens": 50, parameter: None}
    assert httpx.post(f"{open_url}/v1/chat/completions", json=fine, timeout=30).status_code == 200


@pytest.mark.parametrize(
    "content", ["", "   ", [{"type": "input_text", "text": "Can it lie?"}], [{"type": "text"}]]
)
def test_a_chat_whose_last_user_message_has_no_text_is_a_400_saying_so(
    open_url: str, content: object
) -> None:
    """It answered the user message before it again, or said the conversation had none."""
    messages = [
        {"role": "user", "content": "Will it swear if I ask it to?"},
        {"role": "assistant", "content": "It may, in the right context."},
        {"role": "user", "content": content},
    ]
    response = httpx.post(
        f"{open_url}/v1/chat/completions", json={"messages": messages}, timeout=30
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith("the last user message has no text")
