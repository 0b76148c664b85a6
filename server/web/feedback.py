"""``POST /web/feedback``: the page's 👍/👎. The route makes the source ``web``; the rater is the
browser's random token (kept in its localStorage), scoped as :mod:`server.edge.ratings` says, so
one browser counts once per answer and a later rating replaces its earlier one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from server.domain.feedback.store import Feedback
from server.edge.deps import FeedbackDep
from server.edge.ratings import RatingRequest, page_rater
from server.edge.security import KeyFirstRoute, RequireKey

__all__ = ["PageRating", "router"]

router = APIRouter(include_in_schema=False, route_class=KeyFirstRoute)


class PageRating(RatingRequest):
    rater: str = Field(
        min_length=16,
        max_length=64,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="This browser's random token (the page makes it once and keeps it).",
    )


@router.post("/web/feedback", status_code=201, response_model=Feedback)
def page_feedback(
    body: PageRating, request: Request, store: FeedbackDep, _: RequireKey
) -> Feedback:
    rater = page_rater(request, body.rater)
    return store.add(body.answer_id, body.rating, body.comment or "", source="web", rater=rater)
