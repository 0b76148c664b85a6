"""LLM answers over real HTTP (uvicorn on loopback) with a scripted chat-completions server: the
verdict and neutralised markdown on every surface, and the cheap routes never waiting for LLM
calls in flight."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest
from mcp import Client

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from server.composition.components import Components
from server.domain.schemas import Answer
from server.settings import Settings
from server.slack.compact import compact_message
from specqa.cli.options import components_factory
from tests.conftest import RELEASES, make_settings, run_cli
from tests.helpers import fake_llm_settings, serve_app, wait_until
from tests.test_llm import HOSTILE, QUESTION, assert_inert
from tests.test_mcp import over_http

LLM_SLOTS = 3
CALLS = 10


@pytest.fixture(scope="module")
def url(built: tuple, parts: Components, fake: FakeOpenAIServer) -> Iterator[str]:  # type: ignore[type-arg]
    settings = make_settings(
        built[0].index.index_dir,
        **fake_llm_settings(fake.base_url),
        llm_timeout_s=120.0,
        llm_deadline_s=120.0,
        llm_max_retries=0,
        llm_max_concurrent=LLM_SLOTS,
        answer_threads=LLM_SLOTS + 2,
        rate_limit_per_minute=0,
    )
    with serve_app(settings, parts) as base:
        yield base


@pytest.fixture
def hostile(fake: FakeOpenAIServer) -> FakeOpenAIServer:
    fake.script()
    fake.release()
    fake.default = ScriptedReply("ok", HOSTILE)  # routing reads it as malformed: hybrid sections
    return fake


def test_rest_answers_show_the_verdict_and_neutralised_markdown(
    url: str, hostile: FakeOpenAIServer
) -> None:
    body = httpx.post(f"{url}/v1/answer", json={"question": QUESTION}, timeout=60).json()
    assert body["mode"] == "llm" and body["verdict"] == "no"
    assert_inert(body["answer"])
    with httpx.stream(
        "POST", f"{url}/v1/answer?stream=true", json={"question": QUESTION}, timeout=60
    ) as response:
        events = _sse(response.iter_lines())
    text = "".join(data["text"] for kind, data in events if kind == "delta")
    assert text.startswith("**Verdict: no**\n\n")
    assert_inert(text)
    assert events[-1][1]["verdict"] == "no"
    slack = json.dumps(compact_message(Answer.model_validate(body), shareable=False))
    assert "Verdict: No" in slack and "javascript:" not in slack and "evil.example" not in slack


def test_chat_completions_show_the_verdict_streamed_or_not(
    url: str, hostile: FakeOpenAIServer
) -> None:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    messages: list[Any] = [{"role": "user", "content": QUESTION}]
    whole = client.chat.completions.create(model="model-spec", messages=messages)
    content = whole.choices[0].message.content or ""
    assert content.startswith("**Verdict: no**\n\n") and "**Sources**" in content
    assert_inert(content)
    stream = client.chat.completions.create(model="model-spec", messages=messages, stream=True)
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert streamed.startswith("**Verdict: no**\n\n") and "**Sources**" in streamed
    assert_inert(streamed)


def test_mcp_answer_text_shows_the_verdict_and_neutralised_markdown(
    url: str, hostile: FakeOpenAIServer
) -> None:
    seen: dict[str, Any] = {}

    async def session(client: Client) -> None:
        result = await client.call_tool("answer_question", {"question": QUESTION})
        seen["text"] = result.content[0].text  # type: ignore[union-attr]
        seen["verdict"] = (result.structured_content or {})["verdict"]

    over_http(url, {}, session)
    assert seen["verdict"] == "no"
    assert seen["text"].startswith("**Verdict: no**\n\n")
    assert "**Bottom line:**" in seen["text"] and "**Sources**" in seen["text"]
    assert len(seen["text"]) <= 2500  # SPECQA_MCP_ANSWER_CHARS
    assert_inert(seen["text"])


@pytest.mark.parametrize(
    ("question", "release", "lead"),
    [
        (  # a bank question, as written: its short answer, before the model's text
            "is it gonna give me a whole poem by a living poet if i ask nicely",
            None,
            ["Short answer: No.", "Closest curated question:"],
        ),
        (  # an older release: what changed in the governing section since, likewise
            "Should the model reveal its system prompt?",
            RELEASES[0],
            ["Changed since:", "protect_privileged_messages changed"],
        ),
    ],
)
def test_a_model_s_answer_shows_the_same_lead_on_every_surface(
    url: str,
    fake: FakeOpenAIServer,
    built: tuple[Settings, Any],
    parts: Components,
    question: str,
    release: str | None,
    lead: list[str],
) -> None:
    fake.script()
    fake.release()
    fake.default = ScriptedReply("ok", "Verdict: no\n\nThe model keeps it private.")
    asked = {"question": question, **({"release": release} if release else {})}
    body = httpx.post(f"{url}/v1/answer", json=asked, timeout=60).json()
    assert body["mode"] == "llm" and "Short answer" not in body["answer"]
    with httpx.stream("POST", f"{url}/v1/answer?stream=true", json=asked, timeout=60) as response:
        done = _sse(response.iter_lines())[-1][1]
    seen: dict[str, str] = {}

    async def session(client: Client) -> None:
        result = await client.call_tool("answer_question", asked)
        seen["mcp"] = result.content[0].text  # type: ignore[union-attr]

    over_http(url, {}, session)
    settings = make_settings(built[0].index.index_dir, **fake_llm_settings(fake.base_url))
    with components_factory(lambda _: parts.derive(settings)):
        cli = run_cli("ask", question, *(["-r", release] if release else []))
    assert cli.returncode == 0, cli.stderr
    slack = compact_message(Answer.model_validate(body), shareable=False)
    shown = {
        "web": f"{done['lead']['lead']}\n{done['lead']['note']}",
        "mcp": seen["mcp"],
        "slack": json.dumps(slack, ensure_ascii=False),
        "cli": cli.stdout.replace("│", " "),
    }
    if release is None:  # chat asks the newest release
        shown["chat"] = httpx.post(
            f"{url}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": question}]},
            timeout=60,
        ).json()["choices"][0]["message"]["content"]
    for surface, text in shown.items():
        for words in lead:
            assert words in " ".join(re.sub("[*`]", "", text).split()), f"{surface}: {words!r}"


def test_health_readiness_metrics_search_and_page_answer_while_llm_calls_are_pending(
    url: str, fake: FakeOpenAIServer
) -> None:
    fake.script()
    fake.hold()
    fake.default = ScriptedReply("hold", "Verdict: no\n\nHeld, then answered.")
    try:
        with ThreadPoolExecutor(max_workers=CALLS) as pool:
            calls = [pool.submit(_ask, url) for _ in range(CALLS)]
            wait_until(
                lambda: fake.held == LLM_SLOTS and _done(calls) == CALLS - LLM_SLOTS,
                120,
                "the calls to reach the expected state",
            )
            for path in ("/healthz", "/readyz", "/metrics", "/v1/search?q=system+prompt", "/"):
                assert httpx.get(f"{url}{path}", timeout=60).status_code == 200, path
            assert fake.held == LLM_SLOTS and _done(calls) == CALLS - LLM_SLOTS  # still pending
            refused = [c.result() for c in calls if c.done()]
            pending = [c for c in calls if not c.done()]
            fake.release()
            answered = [c.result(timeout=120) for c in pending]
    finally:
        fake.release()
    assert all(a["mode"] == "llm" and a["verdict"] == "no" for a in answered)
    assert len(refused) == CALLS - LLM_SLOTS
    for answer in refused:
        assert answer["mode"] == "extractive" and answer["fallback"] is True
        assert "SPECQA_LLM_MAX_CONCURRENT" in answer["notice"]


def test_answers_wait_on_their_own_threads_not_in_the_shared_pool(
    built: tuple[Settings, Any], parts: Components
) -> None:
    """40 answers against 4 answer threads: 4 reach the LLM, 36 queue for a thread (none in the
    shared pool, which would let up to 32 reach the LLM), and the cheap routes still answer."""
    with FakeOpenAIServer() as held:
        held.default = ScriptedReply("hold", "Verdict: no\n\nHeld, then answered.")
        settings = make_settings(
            built[0].index.index_dir,
            **fake_llm_settings(held.base_url),
            llm_timeout_s=300.0,
            llm_deadline_s=300.0,
            llm_max_concurrent=32,
            answer_threads=4,
            rate_limit_per_minute=0,
        )
        with serve_app(settings, parts) as base, ThreadPoolExecutor(max_workers=40) as pool:
            calls = [pool.submit(_ask, base) for _ in range(40)]
            try:
                wait_until(lambda: held.held == 4, 120, "the calls to reach the expected state")
                for path in ("/healthz", "/readyz", "/metrics", "/v1/search?q=flattery", "/"):
                    assert httpx.get(f"{base}{path}", timeout=60).status_code == 200, path
                assert held.held == 4 and _done(calls) == 0
            finally:
                held.release()
            answers = [call.result(timeout=300) for call in calls]
    assert all(a["mode"] == "llm" for a in answers)


def _ask(url: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/v1/answer", json={"question": QUESTION}, timeout=120)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _done(calls: list[Future[dict[str, Any]]]) -> int:
    return sum(call.done() for call in calls)


def _sse(lines: Iterator[str]) -> list[tuple[str, dict[str, Any]]]:
    events, kind = [], ""
    for line in lines:
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((kind, json.loads(line.removeprefix("data: "))))
    return events
