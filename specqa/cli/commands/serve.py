"""`specqa serve`: the HTTP server (REST, OpenAI-compatible chat, web page, MCP, Slack)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from server.settings import Settings
from specqa.cli.options import IndexDir, fail, guarded, settings_from

if TYPE_CHECKING:
    from specqa.core.index_check import IndexCheck

commands = typer.Typer()


@commands.command()
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

    from server.edge.http_server import uvicorn_options
    from specqa.core.logs import configure_logging

    settings = settings_from(host=host, port=port, workers=workers, index_dir=index_dir)
    if settings.http.workers > 1 and not settings.index.chroma_url:
        fail(
            "--workers > 1 needs a Chroma server (SPECQA_CHROMA_URL): the embedded store is not process-safe"
        )
    configure_logging(settings.logging.level)
    check = _ensure_index(settings)
    app = _app_for(settings)  # imported while the index check runs in its child process
    if check is not None:
        guarded(check.wait)
    uvicorn.run(
        app,
        factory=settings.http.workers > 1,
        host=settings.http.bind_host,
        port=settings.http.port,
        workers=settings.http.workers,
        timeout_graceful_shutdown=30,
        log_level=settings.logging.level.lower(),
        env_file=None,
        **uvicorn_options(settings.http),
    )


def _ensure_index(settings: Settings) -> IndexCheck | None:
    """Ingest when there is no index; start the check that an embedded index opens, to be
    waited for before serving it."""
    from ingest.pipeline import run_ingest
    from specqa.core.embedding_models import open_embedder
    from specqa.core.index_check import IndexCheck
    from specqa.core.logs import get_logger
    from specqa.core.store import VectorStore

    log = get_logger(__name__)
    store = guarded(lambda: VectorStore(settings))
    manifest = guarded(store.manifest)
    if manifest is None:
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
        manifest = guarded(store.manifest)
    if store.remote or manifest is None:
        return None
    return guarded(lambda: IndexCheck(str(settings.index.index_dir), manifest))


def _app_for(settings: Settings) -> Any:
    """The app, built from these settings; several workers each build their own from the
    environment, so the command-line options travel there as the variables they stand for."""
    if settings.http.workers == 1:
        from server.app import create_app

        return create_app(settings)
    os.environ.update(
        {
            "SPECQA_HOST": settings.http.bind_host,
            "SPECQA_PORT": str(settings.http.port),
            "SPECQA_WORKERS": str(settings.http.workers),
            "SPECQA_INDEX_DIR": str(settings.index.index_dir),
        }
    )
    return "server.worker:create_app_from_env"
