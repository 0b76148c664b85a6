"""POST /v1/feedback: 👍 or 👎, with an optional comment, on an answer named by its id."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from server.domain.feedback.store import Feedback
from server.edge.deps import FeedbackDep
from server.edge.ratings import RATER_PATTERN, RatingRequest, api_rater
from server.edge.security import KeyFirstRoute, RequireKey

__all__ = ["FeedbackRequest", "router"]

router = APIRouter(prefix="/v1", tags=["feedback"], route_class=KeyFirstRoute)


class FeedbackRequest(RatingRequest):
    rater: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=RATER_PATTERN,
        description="Who is rating, for a caller relaying several people's ratings (any stable "
        "token, e.g. a user id). Stored scoped to the caller's API key (or address): a later "
        "rating by the same rater of the same answer replaces the earlier one. Omitted, the "
        "caller itself is the rater. The source is always `api` (a `source` sent is ignored).",
    )


@router.post(
    "/feedback",
    operation_id="sendFeedback",
    summary="Rate an answer: up or down, with an optional comment",
    description=(
        "Stored with the answer's question, release, mode, cited section ids and confidence, so "
        "that badly answered questions can be found (`specqa feedback stats`). The answer must "
        "have been made by this server or a replica sharing its feedback database (else 404). "
        "One rating per caller (and rater) and answer counts: a later one replaces it."
    ),
    status_code=201,
    response_model=Feedback,
)
def send_feedback(
    body: FeedbackRequest, request: Request, store: FeedbackDep, _: RequireKey
) -> Feedback:
    rater = api_rater(request, body.rater)
    return store.add(body.answer_id, body.rating, body.comment or "", source="api", rater=rater)
