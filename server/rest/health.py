"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from specqa.core.errors import SpecQAError
from specqa.core.logs import get_logger

__all__ = ["router"]

log = get_logger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:  # on the event loop: never waits for a worker thread
    return {"status": "ok"}


@router.get(
    "/readyz", operation_id="readyz", summary="Index open, model loaded, store and Redis reachable"
)
def readyz(request: Request) -> Any:
    components = getattr(request.app.state, "components", None)
    if components is None:
        return JSONResponse(
            {"status": "starting", "message": "loading the model and the index"}, status_code=503
        )
    try:
        components.store.heartbeat()
        request.app.state.shared.heartbeat()  # rate limits and Slack need Redis when configured
        index = components.service.index_status()
    except SpecQAError as exc:  # unauthenticated: the public message names no internal address
        log.warning("not ready: %s", exc.message)
        return JSONResponse(
            {"status": "unavailable", "message": exc.public_message}, status_code=503
        )
    return {
        "status": "ready",
        "collection": index.collection,
        "releases": index.releases,
        "embed_model": index.embed_model,
        "query_model": index.query_model or components.embedder.name,  # what queries embed with
        "llm": bool(components.service.llm),
        "store": "chroma-server" if components.store.remote else "embedded",
        "shared_state": request.app.state.shared.kind,
        **({"warning": components.corpus.failure} if components.corpus.failure else {}),
    }


@router.get(
    "/metrics", operation_id="metrics", summary="Prometheus metrics", include_in_schema=False
)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
