"""A short run of the load test (bench/load.py) against a live server: no errors, no 5xx.

Timing is not asserted here (the machine is shared); `python bench/load.py` runs the full 60 s.
The load test runs as its users run it, as a command (tests never import bench/).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.settings import Settings
from tests.conftest import REPO, make_settings
from tests.helpers import live_server


@pytest.fixture(scope="module")
def unlimited_url(built: tuple[Settings, IngestReport], parts: Components) -> Iterator[str]:
    """The shared index behind a real uvicorn, rate limit off (it would answer 429 under load)."""
    settings = make_settings(built[0].index.index_dir, rate_limit_per_minute=0)
    with live_server(create_app(settings, parts)) as url:
        yield url


def test_mixed_load_at_concurrency_32_has_no_errors_and_no_5xx(
    unlimited_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    run = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            *("--url", unlimited_url, "--concurrency", "32", "--seconds", "8"),
            *("--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert out.exists(), run.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["requests"] >= 32, data
    assert data["search"]["requests"] > 0 and data["answer"]["requests"] > 0, data
    assert data["errors"] == 0, data["top_errors"]
    assert data["server_errors_5xx"] == 0, data["statuses"]
    assert set(data["statuses"]) == {"200"}, data["statuses"]
    assert run.returncode == 0, run.stdout + run.stderr
