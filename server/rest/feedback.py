"""POST /v1/feedback: 👍 or 👎, with an optional comment, on an answer named by its id."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.domain.feedback import MAX_COMMENT_CHARS, Feedback, Rating
from server.edge.deps import FeedbackDep
from server.edge.security import KeyFirstRoute, RequireKey

__all__ = ["FeedbackRequest", "router"]

router = APIRouter(prefix="/v1", tags=["feedback"], route_class=KeyFirstRoute)


class FeedbackRequest(BaseModel):
    answer_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="The `id` of the answer being rated.",
    )
    rating: Rating = Field(description="up (👍, a good answer) or down (👎, a bad one).")
    comment: str | None = Field(
        default=None,
        max_length=MAX_COMMENT_CHARS,
        description="What was good or wrong about it (optional).",
    )
    source: str = Field(
        default="api",
        pattern=r"^[a-z][a-z0-9_-]{0,19}$",
        description="Where the feedback was given, e.g. api, web, chat (kept with it).",
    )
    rater: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="Who is rating (any stable token, e.g. a user id): a later rating by the "
        "same rater of the same answer replaces the earlier one. Omit to count every rating.",
    )


@router.post(
    "/feedback",
    operation_id="sendFeedback",
    summary="Rate an answer: up or down, with an optional comment",
    description=(
        "Stored with the answer's question, release, mode, cited section ids and confidence, so "
        "that badly answered questions can be found (`specqa feedback stats`). The answer must "
        "have been made by this server or a replica sharing its feedback database (else 404)."
    ),
    status_code=201,
    response_model=Feedback,
)
def send_feedback(body: FeedbackRequest, store: FeedbackDep, _: RequireKey) -> Feedback:
    return store.add(
        body.answer_id, body.rating, body.comment or "", source=body.source, rater=body.rater
    )
