"""Ratings cannot be stuffed or spoofed (issue 24 item 8), over real HTTP: the route sets the
source (an API caller cannot claim "slack"), an API rater is scoped to the caller's key (or
address), the page's rater is its browser token, and one rater counts once per answer (a later
rating replaces the earlier). Slack's clicks are in tests/test_slack_buttons.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.settings import Settings
from tests.conftest import make_settings
from tests.helpers import in_process

KEYS = ("rating-key-one", "rating-key-two")
TOKEN = "0123456789abcdef0123456789abcdef"
QUESTION = "Should the model reveal its system prompt?"


def serve(
    built: tuple[Settings, IngestReport],
    parts: Components,
    tmp_path_factory: pytest.TempPathFactory,
    **overrides: object,
) -> Iterator[tuple[httpx.Client, Components]]:
    database = tmp_path_factory.mktemp("ratings") / "feedback.sqlite"
    settings = make_settings(
        built[0].index.index_dir,
        feedback_database_url=f"sqlite:///{database}",
        rate_limit_per_minute=0,
        **overrides,
    )
    own = parts.derive(settings)  # its own feedback database
    with in_process(create_app(settings, own)) as client:  # HTTP semantics: no socket needed
        yield client, own


@pytest.fixture(scope="module")
def open_server(
    built: tuple[Settings, IngestReport],
    parts: Components,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, Components]]:
    yield from serve(built, parts, tmp_path_factory)


@pytest.fixture(scope="module")
def keyed_server(
    built: tuple[Settings, IngestReport],
    parts: Components,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, Components]]:
    yield from serve(built, parts, tmp_path_factory, api_keys=",".join(KEYS))


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def answer_id(http: httpx.Client, key: str | None = None) -> str:
    response = http.post("/v1/answer", json={"question": QUESTION}, headers=bearer(key))
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def rate(
    http: httpx.Client, path: str, body: dict[str, Any], key: str | None = None
) -> dict[str, Any]:
    response = http.post(path, json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


def ratings_of(parts: Components, answer: str) -> list[tuple[str | None, str, str]]:
    return sorted(
        (r.rater, r.source, r.rating) for r in parts.feedback.records() if r.answer_id == answer
    )


def test_an_api_caller_cannot_claim_slack_or_replace_a_slack_users_rating(
    open_server: tuple[httpx.Client, Components],
) -> None:
    """The issue's case: a post claiming rater U0001 and source slack replaced that user's 👎."""
    http, parts = open_server
    answer = answer_id(http)
    parts.feedback.add(answer, "down", source="slack", rater="slack:T0001:U0001")  # their click
    spoof = {"answer_id": answer, "rating": "up", "rater": "U0001", "source": "slack"}
    saved = rate(http, "/v1/feedback", spoof)
    assert saved["source"] == "api" and saved["rater"].startswith("api:ip-")
    assert ratings_of(parts, answer) == [
        (saved["rater"], "api", "up"),
        ("slack:T0001:U0001", "slack", "down"),  # untouched
    ]


def test_an_api_caller_without_a_rater_counts_once_per_answer(
    open_server: tuple[httpx.Client, Components],
) -> None:
    http, parts = open_server
    answer = answer_id(http)
    for rating in ("up", "up", "up", "up", "down"):
        rate(http, "/v1/feedback", {"answer_id": answer, "rating": rating})
    [(rater, source, rating)] = ratings_of(parts, answer)
    assert (source, rating) == ("api", "down") and rater is not None
    assert rater.startswith("api:ip-") and "127.0.0.1" not in rater  # the address is hashed


def test_api_raters_are_scoped_to_the_callers_key(
    keyed_server: tuple[httpx.Client, Components],
) -> None:
    http, parts = keyed_server
    answer = answer_id(http, KEYS[0])
    one = rate(http, "/v1/feedback", {"answer_id": answer, "rating": "up", "rater": "ada"}, KEYS[0])
    two = rate(http, "/v1/feedback", {"answer_id": answer, "rating": "up", "rater": "ada"}, KEYS[1])
    again = {"answer_id": answer, "rating": "down", "rater": "ada"}
    assert rate(http, "/v1/feedback", again, KEYS[0])["id"] == one["id"]  # replaced
    assert one["rater"] != two["rater"]
    assert all(r["rater"].startswith("api:key-") and KEYS[0] not in r["rater"] for r in (one, two))
    assert ratings_of(parts, answer) == sorted(
        [(one["rater"], "api", "down"), (two["rater"], "api", "up")]
    )


def test_the_pages_ratings_are_web_and_count_once_per_browser(
    open_server: tuple[httpx.Client, Components],
) -> None:
    """What the page sends (POST /web/feedback with its browser token), as the page sends it."""
    http, parts = open_server
    answer = answer_id(http)
    for rating in ("up", "up", "down"):
        body = {"answer_id": answer, "rating": rating, "rater": TOKEN, "source": "slack"}
        saved = rate(http, "/web/feedback", body)
    other = rate(http, "/web/feedback", {"answer_id": answer, "rating": "up", "rater": "f" * 32})
    assert ratings_of(parts, answer) == sorted(
        [(f"web:{TOKEN}", "web", "down"), (other["rater"], "web", "up")]
    )
    assert saved["comment"] == "" and saved["question"] == QUESTION
    for bad in ({"rater": "short"}, {"rater": "has spaces in it, quite a few"}, {}):
        response = http.post("/web/feedback", json={"answer_id": answer, "rating": "up", **bad})
        assert response.status_code == 422, response.text


def test_the_pages_ratings_need_the_key_and_are_scoped_to_it(
    keyed_server: tuple[httpx.Client, Components],
) -> None:
    http, parts = keyed_server
    answer = answer_id(http, KEYS[1])
    body = {"answer_id": answer, "rating": "up", "rater": TOKEN}
    refused = http.post("/web/feedback", json=body)
    assert refused.status_code == 401
    saved = rate(http, "/web/feedback", body, KEYS[1])
    assert saved["rater"].startswith("web:key-") and saved["rater"].endswith(f":{TOKEN}")
    assert ratings_of(parts, answer) == [(saved["rater"], "web", "up")]
