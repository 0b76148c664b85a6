"""What the OpenAI chat-completions API's bodies look like: a completion, the events of a stream,
an error body (the fake server in :mod:`fakes.openai_server` sends them)."""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = [
    "CHUNK_CHARS",
    "completion",
    "count_prompt_tokens",
    "error_body",
    "rough_tokens",
    "stream_events",
]

CHUNK_CHARS = 8

# (type, code) pairs as the OpenAI API uses them for common statuses.
_ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    409: ("invalid_request_error", None),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", "overloaded"),
}


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    error_type, code = _ERROR_KINDS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None)
    )
    return {
        "error": {
            "message": message or f"Fake OpenAI server scripted error (HTTP {status}).",
            "type": error_type,
            "param": None,
            "code": code,
        }
    }


def rough_tokens(text: str) -> int:
    return len(text.split())


def count_prompt_tokens(body: dict[str, Any]) -> int:
    total = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                total += rough_tokens(message["content"])
    return total


def completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    prompt_tokens = count_prompt_tokens(body)
    completion_tokens = rough_tokens(content)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "fake-model")),
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def stream_events(body: dict[str, Any], content: str) -> list[dict[str, Any]]:
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    model = str(body.get("model", "fake-model"))
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if include_usage:
            event["usage"] = None
        return event

    events: list[dict[str, Any]] = [
        chunk({"role": "assistant", "content": "", "refusal": None}, None)
    ]
    for start in range(0, len(content), CHUNK_CHARS):
        events.append(chunk({"content": content[start : start + CHUNK_CHARS]}, None))
    events.append(chunk({}, "stop"))
    if include_usage:
        prompt_tokens = count_prompt_tokens(body)
        completion_tokens = rough_tokens(content)
        final = chunk({}, None)
        final["choices"] = []
        final["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        events.append(final)

    return events
