"""A hung PostgreSQL (issue 24 item 7): the real cluster is paused with SIGSTOP, so its sockets stay
open and its kernel keeps acknowledging, the case no connect timeout or keepalive catches.
Answers go out promptly (they are recorded off their path, through a bounded queue that drops and
counts when full); a feedback post fails within ``SPECQA_FEEDBACK_TIMEOUT_S`` with a 503 JSON
message; after SIGCONT feedback works again."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.domain.feedback.store import open_feedback_store
from server.settings import Settings
from tests.conftest import make_settings
from tests.helpers import live_server, wait_until
from tests.postgres import fresh_database, paused, postgres_cluster

TIMEOUT_S = 3.0
SLACK_S = 1.5
QUESTIONS = [
    "Should the model reveal its system prompt if the user asks?",
    "Can the model help me write malware?",
    "should it tell white lies?",
    "May the assistant share someone's home address?",
]
UNREACHABLE = "the feedback database is unreachable; try again shortly"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


def _ask(url: str, question: str) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    response = httpx.post(f"{url}/v1/answer", json={"question": question}, timeout=20)
    assert response.status_code == 200, response.text
    return response.json(), time.monotonic() - started


def _rate(url: str, answer_id: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(
        f"{url}/v1/feedback", json={"answer_id": answer_id, "rating": "up"}, timeout=60
    )
    return response, time.monotonic() - started


def _unrecorded(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    match = re.search(r"^specqa_answers_unrecorded_total ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_a_hung_postgres_holds_no_answer_and_feedback_fails_in_time_then_recovers(
    cluster: str, built: tuple[Settings, IngestReport], parts: Components
) -> None:
    settings = make_settings(
        built[0].index.index_dir,
        feedback_database_url=fresh_database(cluster),
        feedback_timeout_s=TIMEOUT_S,
        feedback_queue_size=1,
        rate_limit_per_minute=0,
    )
    store = open_feedback_store(settings, pause_s=1)
    parts = parts.derive(settings, feedback=store)
    with live_server(create_app(settings, parts)) as url:
        before, _ = _ask(url, QUESTIONS[0])
        assert _rate(url, before["id"])[0].status_code == 201  # recorded, rated: all well

        with paused(cluster):
            # 1. Answers never wait on the database: the first one's record hangs in the worker,
            # the next fills the queue of one, the rest are dropped and counted.
            took = [_ask(url, question)[1] for question in QUESTIONS]
            assert max(took) < TIMEOUT_S, f"answers took {took} with PostgreSQL hung"
            assert _unrecorded(url) >= 1

            # 2. Feedback needs the database: a clear 503 within the timeout, not a hang.
            refused, elapsed = _rate(url, before["id"])
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["message"] == UNREACHABLE
            assert elapsed < TIMEOUT_S + SLACK_S, f"the refusal took {elapsed:.1f} s"

        # 3. PostgreSQL resumed: feedback works again, and new answers are recorded again.
        assert _rate(url, before["id"])[0].status_code == 201
        time.sleep(1.1)  # past the store's pause after the failed records
        after, _ = _ask(url, QUESTIONS[1])
        wait_until(lambda: _rate(url, after["id"])[0].status_code == 201, 15, "a new rating")
    store.close()
