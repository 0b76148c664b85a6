"""Dependency aliases: every route gets its parts from here, never from globals."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from server.composition.components import Components
from server.domain.answering.service import AnsweringService
from server.domain.feedback.store import FeedbackStore
from server.edge.settings import EdgeSettings
from specqa.core.errors import SpecIndexError

__all__ = ["ComponentsDep", "FeedbackDep", "ServiceDep", "SettingsDep"]


def get_components(request: Request) -> Components:
    components: Components | None = getattr(request.app.state, "components", None)
    if components is None:
        raise SpecIndexError("the server is still starting: the index is not open yet")
    return components


def get_service(components: Annotated[Components, Depends(get_components)]) -> AnsweringService:
    return components.service


def get_feedback(components: Annotated[Components, Depends(get_components)]) -> FeedbackStore:
    return components.feedback


def get_settings(request: Request) -> EdgeSettings:
    settings: EdgeSettings = request.app.state.settings
    return settings


ComponentsDep = Annotated[Components, Depends(get_components)]
ServiceDep = Annotated[AnsweringService, Depends(get_service)]
SettingsDep = Annotated[EdgeSettings, Depends(get_settings)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
