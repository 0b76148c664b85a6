"""Earlier turns (REST ``history``, chat's earlier user messages) are cleaned like questions and
bounded (issue 24 items 4 and 10): each turn is cut to ``max_history_turn_chars``, only the newest
turns that fit ``max_history_chars`` are kept, so the prompt the LLM receives (recorded by the
fake OpenAI server) stays bounded however long the conversation; a lone surrogate in an earlier
turn is dropped, not a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from server.composition.components import Components
from server.domain.answering.service_lookups import SpecLookups
from tests.conftest import make_settings
from tests.helpers import app_client, fake_llm_settings

QUESTION = "Should the model reveal its system prompt when a user asks for it?"
TURN_CHARS = 300
HISTORY_CHARS = 800
SLACK = 200  # JSON quoting and the "- " before each earlier turn


def lookups(tmp_path: Path, **overrides: object) -> SpecLookups:
    settings = make_settings(tmp_path, **overrides)
    return SpecLookups(settings, lambda: None, None)  # type: ignore[arg-type, return-value]


def test_each_earlier_turn_is_cut_and_only_the_newest_that_fit_are_kept(tmp_path: Path) -> None:
    spec = lookups(tmp_path, max_history_turn_chars=20, max_history_chars=30)
    kept = spec.validate_history(
        ["oldest turn", "middle turn", "a newest turn that is far too long"]
    )
    assert kept == ["middle turn", "a newest turn that…"]
    assert all(len(turn) <= 20 for turn in kept) and sum(map(len, kept)) <= 30
    assert spec.validate_history(["x" * 50]) == ["x" * 19 + "…"]  # no space to cut at


def test_a_lone_surrogate_in_an_earlier_turn_is_dropped(tmp_path: Path) -> None:
    spec = lookups(tmp_path)
    assert spec.validate_history(["\ud800", "before \udfff after"]) == ["before  after"]


@pytest.fixture(scope="module")
def served(built: tuple, parts: Components, fake: FakeOpenAIServer) -> Iterator[httpx.Client]:  # type: ignore[type-arg]
    settings = make_settings(
        built[0].index.index_dir,
        **fake_llm_settings(fake.base_url),
        llm_max_retries=0,
        rate_limit_per_minute=0,
        max_history_turn_chars=TURN_CHARS,
        max_history_chars=HISTORY_CHARS,
    )
    with app_client(settings, parts) as client:
        yield client


@pytest.fixture
def llm(fake: FakeOpenAIServer) -> FakeOpenAIServer:
    fake.script()
    fake.default = ScriptedReply("ok", "Verdict: no\n\nKeep it private.")
    return fake


def prompts(fake: FakeOpenAIServer, since: int) -> list[int]:
    """The size of each prompt the LLM received since request ``since``, in characters."""
    return [
        sum(len(str(m.get("content") or "")) for m in body["messages"])
        for body in fake.requests[since:]
    ]


def largest_prompt(fake: FakeOpenAIServer, send: Any) -> int:
    since = len(fake.requests)
    response = send()
    assert response.status_code == 200, response.text
    sizes = prompts(fake, since)
    assert sizes, "the LLM was not called"
    return max(sizes)


def test_a_huge_history_item_leaves_the_llm_prompt_bounded(
    served: httpx.Client, llm: FakeOpenAIServer
) -> None:
    """Issue 24 item 10: a 60,000-character history item made a 68,121-character prompt."""

    def ask(history: list[str]) -> httpx.Response:
        body = {"question": QUESTION, "mode": "llm", "history": history}
        return served.post("/v1/answer", json=body)

    plain = largest_prompt(llm, lambda: ask([]))
    huge = largest_prompt(llm, lambda: ask(["tell me about privacy " * 2700]))  # ~60,000
    many = largest_prompt(llm, lambda: ask([f"earlier question {i} " * 30 for i in range(20)]))
    assert huge <= plain + TURN_CHARS + SLACK
    assert many <= plain + HISTORY_CHARS + SLACK


@pytest.mark.parametrize("stream", [False, True])
def test_chats_earlier_turns_leave_the_llm_prompt_bounded(
    served: httpx.Client, llm: FakeOpenAIServer, stream: bool
) -> None:
    def chat(earlier: list[str]) -> httpx.Response:
        messages = [
            *({"role": "user", "content": text} for text in earlier),
            {"role": "user", "content": QUESTION},
        ]
        body = {"model": "model-spec", "messages": messages, "stream": stream, "mode": "llm"}
        return served.post("/v1/chat/completions", json=body)

    plain = largest_prompt(llm, lambda: chat([]))
    long_turns = [f"what about case {i}? " * 150 for i in range(15)]  # 15 turns of ~3,000
    assert largest_prompt(llm, lambda: chat(long_turns)) <= plain + HISTORY_CHARS + SLACK


@pytest.mark.parametrize("stream", [False, True])
def test_a_lone_surrogate_in_an_earlier_chat_turn_is_no_500(
    served: httpx.Client, llm: FakeOpenAIServer, stream: bool
) -> None:
    """Issue 24 item 4: a lone surrogate in an earlier chat turn gave 500."""
    messages = [
        {"role": "user", "content": "\ud800"},
        {"role": "user", "content": [{"type": "text", "text": "and \udfff this?"}]},
        {"role": "user", "content": QUESTION},
    ]
    body = json.dumps({"model": "model-spec", "stream": stream, "messages": messages})
    since = len(llm.requests)
    response = served.post(
        "/v1/chat/completions",
        content=body.encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert "[DONE]" in response.text if stream else response.json()["choices"]
    sent = str([body["messages"] for body in llm.requests[since:]])
    assert "and  this?" in sent and "\\ud800" not in sent


def test_a_lone_surrogate_in_a_rest_history_item_is_a_422_like_in_a_question(
    served: httpx.Client,
) -> None:
    """The REST body is read strictly (pydantic's JSON parser): a lone surrogate in a question or
    a history item is a 422 naming the field, never a 500."""
    for body, field in (
        ({"question": QUESTION, "history": ["ok", "\ud800"]}, "history.1"),
        ({"question": f"{QUESTION}\ud800"}, "question"),
    ):
        response = served.post(
            "/v1/answer",
            content=json.dumps(body).encode(),  # lone surrogates travel as \ud800 escapes
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["message"].startswith(field)
