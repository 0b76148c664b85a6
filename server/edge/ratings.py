"""Who a rating counts for: the rater every 👍/👎 is stored under, set by the server.

The store keeps one rating per rater and answer (a later one replaces the earlier), so the rater
decides what can be stuffed or spoofed. It is never taken from the body as is:

* the route sets the source (``/v1/feedback``: api, ``/web/feedback``: web, Slack's buttons:
  slack), so no caller can claim another surface;
* an API rater is scoped to the caller: ``api:key-<hash of the key>[:<rater>]`` with API keys,
  ``api:ip-<hash of the address>[:<rater>]`` without; one key (or address) without a ``rater``
  counts once per answer, and no key can replace another's rating;
* the page sends a random per-browser token: ``web:<token>`` (``web:key-<hash>:<token>`` with
  keys). It is not scoped to the address, since a browser moves between networks; a script can
  mint tokens, bounded by the rate limit;
* Slack's rater is the clicking user, ``slack:<team>:<user>``, from the signed payload.
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from pydantic import BaseModel, Field, field_validator

from server.domain.feedback.records import MAX_COMMENT_CHARS, Rating

__all__ = [
    "CHAT_COMPLETION_PREFIX",
    "RATER_PATTERN",
    "RatingRequest",
    "api_rater",
    "caller_scope",
    "page_rater",
    "slack_rater",
]

RATER_PATTERN = r"^[\x21-\x7e]+$"  # printable ASCII, no spaces
CHAT_COMPLETION_PREFIX = "chatcmpl-"  # a chat completion's id is this, then its answer's id


class RatingRequest(BaseModel):
    """What every surface's rating carries (the rater and source are the server's to set)."""

    answer_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="The `id` of the answer being rated (a chat completion's `id` too).",
    )
    rating: Rating = Field(description="up (👍, a good answer) or down (👎, a bad one).")
    comment: str | None = Field(
        default=None,
        max_length=MAX_COMMENT_CHARS,
        description="What was good or wrong about it (optional).",
    )

    @field_validator("answer_id")
    @classmethod
    def _answer_of_a_completion(cls, answer_id: str) -> str:
        return answer_id.removeprefix(CHAT_COMPLETION_PREFIX)


def caller_scope(request: Request) -> str:
    """``key-<hash>`` for the API key the request was authorised with, else ``ip-<hash>`` of the
    client address (hashed: no address is stored with feedback)."""
    caller = str(getattr(request.state, "specqa_caller", "") or "")
    if caller.startswith("key:"):
        return "key-" + caller[4:]
    address = caller[3:] if caller.startswith("ip:") else "unknown"
    return "ip-" + hashlib.sha256(address.encode()).hexdigest()[:16]


def api_rater(request: Request, rater: str | None) -> str:
    scope = f"api:{caller_scope(request)}"
    return f"{scope}:{rater}" if rater else scope


def page_rater(request: Request, token: str) -> str:
    scope = caller_scope(request)
    return f"web:{scope}:{token}" if scope.startswith("key-") else f"web:{token}"


def slack_rater(team: str, user: str) -> str:
    return f"slack:{team}:{user}" if team else f"slack:{user}"
