"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models, so any OpenAI client or
chat UI can use the server as a model named ``model-spec``. A thin adapter: the last user turn is
the question, earlier user turns are its context; citations come back as markdown links."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from server.edge.deps import ServiceDep
from server.edge.offload import iterate_answer, run_answer
from server.edge.ratings import CHAT_COMPLETION_PREFIX
from server.edge.rendering import render_chat_markdown, sources_markdown
from server.edge.security import KeyFirstRoute, RequireKey
from specqa.core.errors import InputError, UnknownModelError

__all__ = ["MODEL_ID", "router"]

MODEL_ID = "model-spec"
router = APIRouter(prefix="/v1", tags=["openai-compatible"], route_class=KeyFirstRoute)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(default=MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    mode: Literal["extractive", "llm"] | None = Field(
        default=None,
        description="extractive or llm (default: llm when configured); OpenAI clients send it "
        'as extra_body={"mode": ...}',
    )
    release: str | None = Field(
        default=None,
        max_length=40,
        description="The release to answer from (default: the newest, or one the question "
        'names); OpenAI clients send it as extra_body={"release": "2025-02-12"}',
    )
    # OpenAI's sampling parameters, checked as OpenAI checks them, then not used: the answer is
    # the spec's own words (an LLM, when configured, keeps its own settings)
    temperature: float | None = Field(default=None, ge=0, le=2, description="Accepted, not used")
    top_p: float | None = Field(default=None, ge=0, le=1, description="Accepted, not used")
    n: int | None = Field(default=None, ge=1, le=1, description="One choice is written")
    max_tokens: int | None = Field(default=None, ge=1, description="Accepted, not used")
    max_completion_tokens: int | None = Field(default=None, ge=1, description="Accepted, not used")


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):
        return "\n".join(_part_text(part) for part in content if part.get("type") == "text")
    return content or ""


def _part_text(part: dict[str, Any]) -> str:
    text = part.get("text", "")
    if not isinstance(text, str):
        raise InputError(f"a text part's 'text' must be a string, not {type(text).__name__}")
    return text


def _question_and_history(messages: list[ChatMessage]) -> tuple[str, list[str]]:
    users = [_text(m.content) for m in messages if m.role == "user"]
    if not users:
        raise InputError("the conversation has no user message to answer")
    if not users[-1].strip():  # not the turn before it, answered again
        raise InputError("the last user message has no text (a string, or parts of type 'text')")
    return users[-1], [text for text in users[:-1] if text.strip()]


_MODEL = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "specqa"}


@router.get("/models", operation_id="listModels", summary="OpenAI-compatible model list")
def models(_: RequireKey) -> dict[str, Any]:
    return {"object": "list", "data": [_MODEL]}


@router.get("/models/{model}", operation_id="retrieveModel", summary="OpenAI-compatible model")
def model(model: str, _: RequireKey) -> dict[str, Any]:
    """What ``client.models.retrieve("model-spec")`` reads (a chat UI checks its model so)."""
    if model != MODEL_ID:
        raise UnknownModelError(_unknown(model))
    return _MODEL


def _unknown(model: str) -> str:
    return f"unknown model {model!r}: this server serves {MODEL_ID!r} (GET /v1/models)"


@router.post(
    "/chat/completions",
    operation_id="createChatCompletion",
    summary="OpenAI-compatible chat completion",
    description="Answers the last user message from the Model Spec; earlier user turns give context.",
)
async def chat_completions(
    body: ChatRequest, request: Request, service: ServiceDep, _: RequireKey
) -> Any:
    if body.model != MODEL_ID:  # a typo or a client set up for another server: say so
        raise UnknownModelError(_unknown(body.model))
    question, history = _question_and_history(body.messages)
    answer_id = uuid.uuid4().hex
    completion_id = f"{CHAT_COMPLETION_PREFIX}{answer_id}"  # what /v1/feedback takes as answer_id
    if body.stream:
        question = service.validate_question(question)
        events = service.stream(question, body.release, body.mode, history, answer_id=answer_id)
        await run_answer(request, lambda: next(events))  # the meta event; errors become 4xx here
        return StreamingResponse(
            _chunks(completion_id, body.model, iterate_answer(request, events)),
            media_type="text/event-stream",
        )
    answer = await run_answer(
        request,
        lambda: service.answer(question, body.release, body.mode, history, answer_id=answer_id),
    )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": render_chat_markdown(answer)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


async def _chunks(completion_id: str, model: str, events: AsyncIterator[Any]) -> AsyncIterator[str]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    async for event in events:
        if event.type == "delta":
            yield chunk({"content": event.data["text"]})
        elif event.type == "done":
            yield chunk({"content": sources_markdown(event.answer) if event.answer else ""})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
