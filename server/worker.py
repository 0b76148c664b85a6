"""The entry point of a server worker process (``uvicorn --factory server.worker:create_app_from_env``):
settings from the environment, logging for this process, then the app."""

from __future__ import annotations

from fastapi import FastAPI

from server.app import create_app
from server.edge.http_server import uvicorn_options
from server.settings import Settings
from specqa.core.logs import configure_logging

__all__ = ["create_app_from_env"]


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (each worker builds its own parts)."""
    settings = Settings()
    configure_logging(settings.logging.level)
    uvicorn_options(settings.http)  # this worker's deadlines and connection cap
    return create_app(settings)
