"""A short run of the load test (bench/load.py) against a live server: no errors, no 5xx.

Timing is not asserted here (the machine is shared); `python bench/load.py` runs the full 60 s.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.load import load_questions, load_test, report
from ingest.pipeline import IngestReport
from server.app import create_app
from server.domain.components import Components
from specqa.core.settings import Settings
from tests.conftest import live_server, make_settings


@pytest.fixture(scope="module")
def unlimited_url(built: tuple[Settings, IngestReport], parts: Components) -> Iterator[str]:
    """The shared index behind a real uvicorn, rate limit off (it would answer 429 under load)."""
    settings = make_settings(built[0].index_dir, rate_limit_per_minute=0)
    with live_server(create_app(settings, parts)) as url:
        yield url


def test_mixed_load_at_concurrency_32_has_no_errors_and_no_5xx(unlimited_url: str) -> None:
    questions = load_questions()
    result = load_test(unlimited_url, concurrency=32, seconds=8, questions=questions)
    data = report(result, 32, 8)
    assert data["requests"] >= 32, data
    assert data["search"]["requests"] > 0 and data["answer"]["requests"] > 0, data
    assert data["errors"] == 0, data["top_errors"]
    assert data["server_errors_5xx"] == 0, data["statuses"]
    assert set(data["statuses"]) == {"200"}, data["statuses"]
