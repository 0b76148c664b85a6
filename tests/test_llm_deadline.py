"""The LLM deadline is wall-clock (issue 24 item 3): a reply trickled a byte at a time, never idle
long enough to trip a read timeout, still ends at ``SPECQA_LLM_DEADLINE_S``; the answer falls back
to the extractive one at once, and the LLM slot is free for the next answer."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from server.app import create_app
from server.composition.components import Components
from server.domain.answering.llm import LLMAnswerer
from server.domain.answering.service import AnsweringService
from tests.helpers import fake_llm_settings, live_server

DEADLINE_S = 2.0
SLACK_S = 1.5  # the extractive fallback and the HTTP round trip
QUESTION = "Should the model reveal its system prompt if the user asks?"
# About 1,400 bytes of JSON at 0.05 s a byte: some 70 s if nothing stopped it.
TRICKLED = ScriptedReply("trickle", content="Verdict: no\n\n" + "slowly " * 120, byte_delay_s=0.05)
ANSWER = "Verdict: no\n\nThe model keeps its system prompt private."


def _app(parts: Components, base_url: str) -> FastAPI:
    settings = parts.settings.updated(
        **{
            **fake_llm_settings(base_url),
            "openai_api_key": SecretStr("test-key"),
            "llm_deadline_s": DEADLINE_S,
            "llm_timeout_s": 5.0,  # longer than the deadline: only the deadline can stop it
            "llm_max_concurrent": 1,
            "llm_route": False,
        }
    )
    service = AnsweringService(settings, parts.corpus, parts.retriever, LLMAnswerer(settings))
    return create_app(settings, dataclasses.replace(parts, settings=settings, service=service))


@pytest.fixture(scope="module")
def served(parts: Components) -> Iterator[tuple[FakeOpenAIServer, str]]:
    with FakeOpenAIServer() as fake, live_server(_app(parts, fake.base_url)) as url:
        yield fake, url


def _streamed(url: str) -> tuple[list[str], dict[str, Any]]:
    texts: list[str] = []
    done: dict[str, Any] | None = None
    event = ""
    with httpx.stream(
        "POST",
        f"{url}/v1/answer?stream=true",
        json={"question": QUESTION, "mode": "llm"},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "delta":
                texts.append(json.loads(line[6:])["text"])
            elif line.startswith("data: ") and event == "done":
                done = json.loads(line[6:])
    assert done is not None, "the stream ended without a done event"
    return texts, done


def _assert_fell_back_at_the_deadline(body: dict[str, Any], elapsed: float) -> None:
    assert elapsed < DEADLINE_S + SLACK_S, f"took {elapsed:.1f} s against a {DEADLINE_S} s deadline"
    assert elapsed >= DEADLINE_S * 0.9  # the LLM really was waited for
    assert body["fallback"] is True and body["mode"] == "extractive"
    assert body["notice"].startswith(f"the LLM did not answer within {DEADLINE_S:g} s")
    assert body["citations"]


def test_a_trickled_reply_falls_back_at_the_deadline_and_frees_the_slot(
    served: tuple[FakeOpenAIServer, str],
) -> None:
    fake, url = served
    fake.script(TRICKLED, ScriptedReply("ok", content=ANSWER))
    started = time.monotonic()
    response = httpx.post(
        f"{url}/v1/answer", json={"question": QUESTION, "mode": "llm"}, timeout=120
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    _assert_fell_back_at_the_deadline(response.json(), elapsed)

    # The only LLM slot is free again: the next answer is the LLM's.
    after = httpx.post(f"{url}/v1/answer", json={"question": QUESTION, "mode": "llm"}, timeout=30)
    assert after.json()["mode"] == "llm", after.json()["notice"]


def test_a_trickled_stream_ends_with_the_fallback_at_the_deadline(
    served: tuple[FakeOpenAIServer, str],
) -> None:
    fake, url = served
    fake.script(TRICKLED, ScriptedReply("ok", content=ANSWER))
    started = time.monotonic()
    texts, done = _streamed(url)
    elapsed = time.monotonic() - started
    _assert_fell_back_at_the_deadline(done, elapsed)
    assert "".join(texts).strip(), "the fallback answer was streamed"

    _, after = _streamed(url)
    assert after["mode"] == "llm", after["notice"]
