"""`specqa serve`: the HTTP server (REST, OpenAI-compatible chat, web page, MCP, Slack)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from specqa.cli import IndexDir, app, fail, guarded, settings_from


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Bind address (default 127.0.0.1 without API keys).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (SPECQA_PORT, default 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes; >1 needs SPECQA_CHROMA_URL.")
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Serve the API; ingests first when there is no index yet."""
    import uvicorn

    from ingest.pipeline import run_ingest
    from server.app import configure_logging
    from specqa.embedding import open_embedder
    from specqa.store import VectorStore

    settings = settings_from(host=host, port=port, workers=workers, index_dir=index_dir)
    if settings.workers > 1 and not settings.chroma_url:
        fail(
            "--workers > 1 needs a Chroma server (SPECQA_CHROMA_URL): the embedded store is not process-safe"
        )
    configure_logging(settings.log_level)
    log = logging.getLogger("specqa")
    store = guarded(lambda: VectorStore(settings))
    if guarded(store.manifest) is None:
        log.info("no index yet: ingesting the spec first")
        embedder = guarded(lambda: open_embedder(settings, for_ingest=True))
        report = guarded(
            lambda: run_ingest(
                settings,
                embedder,
                store,
                lambda stage, done, total: log.info("%s: %d/%d", stage, done, total),
            )
        )
        log.info(
            "ingest done: %d chunks embedded, %d reused in %.1f s",
            report.embedded,
            report.reused,
            report.seconds,
        )
    uvicorn.run(
        "server.app:create_app_from_env",
        factory=True,
        host=settings.bind_host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=30,
        log_level=settings.log_level.lower(),
        env_file=None,
    )
