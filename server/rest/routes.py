"""REST API under /v1: answers, search, sections, precedents, releases, diffs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from server.domain.answering.lead_text import lead_texts
from server.domain.answering.service_lookups import SearchFilters
from server.domain.answering.streaming import StreamEvent
from server.domain.precedents.export import examples_csv
from server.domain.precedents.matcher import PrecedentVerdict
from server.domain.releases.diff import ReleaseDiff
from server.domain.releases.history import SectionHistory
from server.domain.schemas import (
    Answer,
    AuthorityFilter,
    ExampleCard,
    ExamplesResponse,
    LabelFilter,
    SearchResponse,
    SectionCard,
)
from server.edge.deps import ServiceDep
from server.edge.offload import iterate_answer, run_answer
from server.edge.security import KeyFirstRoute, RequireKey
from specqa.core.errors import InputError

__all__ = ["declare_question_limit", "router", "sse"]

router = APIRouter(prefix="/v1", tags=["spec"], route_class=KeyFirstRoute)

LISTED_EXAMPLES = 20  # a page of precedents; a download has every match (at most 200)
MAX_EXAMPLES = 200

ReleaseQ = Annotated[
    str | None, Query(description="Release, e.g. 2025-12-18; default: newest.", max_length=40)
]
AuthorityQ = Annotated[
    AuthorityFilter,
    Query(description="Only sections declared at this authority level."),
]
LabelQ = Annotated[
    LabelFilter,
    Query(
        description="Only examples with a reply so labelled (any case), each showing only those "
        "replies; omit (or leave blank) for every reply."
    ),
]


MAX_HISTORY = 20


class AnswerRequest(BaseModel):
    question: str = Field(
        description="The question, e.g. 'Should the model reveal its system prompt?'",
        max_length=100_000,
    )
    release: str | None = Field(
        default=None, description="Release to answer from; default: newest.", max_length=40
    )
    mode: Literal["extractive", "llm"] | None = Field(
        default=None, description="Default: llm when configured."
    )
    history: list[Annotated[str, Field(max_length=100_000)]] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description="Earlier questions of the conversation, oldest first: a follow-up's context "
        "(as earlier user turns are for /v1/chat/completions).",
    )
    list_examples: bool = Field(
        default=True,
        description="End an extractive answer's markdown with a line per matching example (for "
        "a client that shows no cards); false when the client shows `examples` as cards.",
    )


class SimilarRequest(BaseModel):
    user: str = Field(
        description="The user turn of the conversation to compare.", max_length=100_000
    )
    assistant: str = Field(
        default="", description="The candidate assistant reply.", max_length=100_000
    )
    release: str | None = Field(default=None, max_length=40)
    k: int = Field(default=5, ge=1, le=20)


class SimilarResponse(BaseModel):
    release: str
    examples: list[ExampleCard]
    governing_sections: list[SectionCard]
    precedent: PrecedentVerdict | None = Field(
        default=None,
        description="The labelled response the reply most resembles (null without a reply)",
    )


def sse(event: StreamEvent) -> str:
    """One event on the wire. ``done`` carries the answer and, as ``lead``, the lead's texts
    (:func:`~server.domain.answering.lead_text.lead_texts`) for a page that lays them out itself."""
    data = event.data
    if event.type == "done" and event.answer is not None:
        data = {**data, "lead": lead_texts(event.answer)}
    return f"event: {event.type}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post(
    "/answer",
    operation_id="answerQuestion",
    summary="Answer a question about the Model Spec",
    description=(
        "Answers 'should the model do X?' questions with cited sections (id, title, authority, release, "
        "quote, url) and matching labelled GOOD/BAD examples. With ?stream=true or "
        "Accept: text/event-stream the answer streams as server-sent events: meta, delta..., done."
    ),
    response_model=Answer,
)
async def answer(
    body: AnswerRequest, request: Request, service: ServiceDep, _: RequireKey, stream: bool = False
) -> Answer | StreamingResponse:
    wants_stream = stream or "text/event-stream" in request.headers.get("accept", "")
    if wants_stream:
        question = service.validate_question(body.question)  # fail before the 200 starts
        events = service.stream(
            question, body.release, body.mode, body.history, list_examples=body.list_examples
        )
        # retrieval errors surface here, as 4xx, not mid-stream
        first = await run_answer(request, lambda: next(events))
        return StreamingResponse(
            _sse(first, iterate_answer(request, events)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await run_answer(
        request,
        lambda: service.answer(
            body.question,
            body.release,
            body.mode,
            body.history,
            list_examples=body.list_examples,
        ),
    )


async def _sse(first: StreamEvent, rest: AsyncIterator[StreamEvent]) -> AsyncIterator[str]:
    yield sse(first)
    async for event in rest:
        yield sse(event)


@router.get(
    "/search",
    operation_id="searchSpec",
    summary="Search sections and examples",
    response_model=SearchResponse,
)
def search(
    service: ServiceDep,
    _: RequireKey,
    q: Annotated[str, Query(description="Search text.", max_length=100_000)],
    release: ReleaseQ = None,
    authority: AuthorityQ = None,
    k: Annotated[int, Query(ge=1, le=20, description="How many sections and examples.")] = 5,
) -> SearchResponse:
    if not q.strip():  # the service's own message names a question, which this route has not
        raise InputError("q is empty: give the text to search for (`/v1/search?q=…`)")
    return service.search(q, release, SearchFilters(authority=authority), k)


@router.get(
    "/sections/{section_id}",
    operation_id="getSection",
    summary="One section with its examples",
    response_model=SectionCard,
)
def get_section(
    section_id: str, service: ServiceDep, _: RequireKey, release: ReleaseQ = None
) -> SectionCard:
    return service.section(section_id, release)


@router.get(
    "/sections/{section_id}/history",
    operation_id="getSectionHistory",
    summary="In which releases a section exists and what changed",
    response_model=SectionHistory,
)
def get_history(section_id: str, service: ServiceDep, _: RequireKey) -> SectionHistory:
    return service.history(section_id)


@router.get(
    "/examples",
    operation_id="findExamples",
    summary="Search labelled examples (precedents)",
    description="Filters combine; q ranks by relevance. format=csv or json downloads the result set.",
    response_model=ExamplesResponse,
)
def examples(
    service: ServiceDep,
    _: RequireKey,
    q: Annotated[str | None, Query(description="Text to rank by.", max_length=100_000)] = None,
    label: LabelQ = None,
    authority: AuthorityQ = None,
    section: Annotated[
        str | None, Query(description="Section id (children included).", max_length=200)
    ] = None,
    release: ReleaseQ = None,
    k: Annotated[
        int | None,
        Query(ge=1, le=200, description="How many (default: 20 listed, every match downloaded)."),
    ] = None,
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="Download as a file.")
    ] = None,
) -> ExamplesResponse | Response:
    filters = SearchFilters(authority=authority, section=section, label=label)
    wanted = k or (MAX_EXAMPLES if format else LISTED_EXAMPLES)
    result = service.find_examples(q, release, filters, wanted)
    name = result.release
    if format == "csv":
        return Response(
            examples_csv(result.examples, name, service.authorities(name)),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="precedents-{name}.csv"'},
        )
    if format == "json":
        return Response(
            result.model_dump_json(indent=2),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="precedents-{name}.json"'},
        )
    return result


@router.post(
    "/examples/similar",
    operation_id="findSimilarExamples",
    response_model=SimilarResponse,
    summary="Closest labelled examples to a pasted exchange, the sections that govern them, and "
    "the labelled response (GOOD/BAD/OK) the reply most resembles",
)
def similar(body: SimilarRequest, service: ServiceDep, _: RequireKey) -> SimilarResponse:
    found, cards, verdict = service.similar_examples(
        body.user, body.assistant, body.release, body.k
    )
    return SimilarResponse(
        release=found.release,
        examples=cards,
        governing_sections=found.sections,
        precedent=verdict,
    )


@router.get("/releases", operation_id="listReleases", summary="Indexed releases, oldest first")
def releases(service: ServiceDep, _: RequireKey) -> dict[str, object]:
    listed = service.releases()
    return {"releases": listed.names, "newest": listed.newest}


@router.get(
    "/diff",
    operation_id="diffReleases",
    summary="What changed between two releases",
    response_model=ReleaseDiff,
)
def diff(
    service: ServiceDep,
    _: RequireKey,
    from_: Annotated[str, Query(alias="from", max_length=40)],
    to: Annotated[str, Query(max_length=40)],
    section: Annotated[str | None, Query(max_length=200)] = None,
) -> ReleaseDiff:
    return service.diff(from_, to, section)


# What the configured question limit (SPECQA_MAX_QUESTION_CHARS) bounds: the models declare the most
# a deployment may configure, since a model's bounds are fixed when the class is made.
_QUESTION_PROPERTIES = (("AnswerRequest", "question"), ("SimilarRequest", "user"))
_QUESTION_PARAMETERS = (("/v1/search", "q"), ("/v1/examples", "q"))


def declare_question_limit(schema: dict[str, Any], limit: int) -> dict[str, Any]:
    """``schema`` (an OpenAPI document) with the question fields' maxLength set to ``limit``."""
    models = schema["components"]["schemas"]
    for model, field in _QUESTION_PROPERTIES:
        _limit_string(models[model]["properties"][field], limit)
    for path, name in _QUESTION_PARAMETERS:
        for parameter in schema["paths"][path]["get"]["parameters"]:
            if parameter["name"] == name:
                _limit_string(parameter["schema"], limit)
    return schema


def _limit_string(node: dict[str, Any], limit: int) -> None:
    """A string's maxLength, or that of the string branch of an optional one (``anyOf``)."""
    for branch in node.get("anyOf", [node]):
        if branch.get("type") == "string":
            branch["maxLength"] = limit
