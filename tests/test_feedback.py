"""Feedback on answers (issue 15 item 2): 👍/👎 with a comment, kept with the answer's question,
release, mode, cited sections and confidence, in SQLite beside the index or in a real PostgreSQL
cluster that this module starts (initdb, pg_ctl: Debian's `postgresql`, see `make system-deps`)
on 127.0.0.1 and stops; two servers sharing that cluster rate each other's answers."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from ingest.pipeline import IngestReport
from server.composition.components import Components
from server.domain.feedback.store import FeedbackStore, open_feedback_store
from server.domain.schemas import Answer, Citation
from server.settings import Settings
from specqa.core.errors import InputError, UnknownAnswerError
from tests.conftest import REPO, make_settings, run_cli
from tests.helpers import app_client, free_port, plain_answer, start_serve
from tests.postgres import fresh_database, postgres_cluster

KEY = "feedback-key-1"
QUESTION = "Should the model reveal its system prompt?"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


# --- the store, on both databases ----------------------------------------------------------------


def _answer(question: str = QUESTION, sections: tuple[str, ...] = ("a", "b", "a")) -> Answer:
    cite = [
        Citation(section_id=s, title=s, authority="root", release="2025-12-18", quote="", url="u")
        for s in sections
    ]
    return plain_answer(question, cite)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FeedbackStore]:
    if request.param == "sqlite":
        opened = open_feedback_store(make_settings(tmp_path / "index"))
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))  # one per test
        opened = open_feedback_store(make_settings(tmp_path, feedback_database_url=url))
    yield opened
    opened.close()


def test_a_rating_is_stored_with_the_question_release_mode_sections_and_confidence(
    store: FeedbackStore,
) -> None:
    answer = _answer()
    store.record_answer(answer)
    store.record_answer(answer)  # recorded twice (two observers): still one answer
    saved = store.add(answer.id, "down", "  cites the wrong section  ", source="web")
    assert (saved.rating, saved.comment, saved.source) == ("down", "cites the wrong section", "web")
    [back] = store.records()
    assert back == saved
    assert (back.question, back.release, back.mode) == (QUESTION, "2025-12-18", "extractive")
    assert (back.section_ids, back.confidence) == (["a", "b"], "medium")
    assert back.created_at.tzinfo is not None and back.answered_at <= back.created_at
    assert store.answer_count() == 1


def test_stats_put_the_questions_and_sections_with_the_most_downvotes_first(
    store: FeedbackStore,
) -> None:
    worst, bad, good = _answer("Q worst", ("x",)), _answer("Q bad", ("y", "x")), _answer("Q good")
    for answer in (worst, bad, good, _answer("never rated")):
        store.record_answer(answer)
    store.add(worst.id, "down", "first complaint")
    store.add(worst.id, "down", "")
    store.add(worst.id, "down", "newest complaint")
    store.add(bad.id, "down", "meh")
    store.add(bad.id, "up")
    store.add(good.id, "up", "great")
    stats = store.stats(limit=10, comments=2)
    assert (stats.answers, stats.rated, stats.up, stats.down) == (4, 3, 2, 4)
    assert [(q.question, q.down, q.up) for q in stats.questions] == [
        ("Q worst", 3, 0),
        ("Q bad", 1, 1),
    ]
    assert stats.questions[0].comments == ["newest complaint", "first complaint"]
    assert [(s.section_id, s.down, s.up) for s in stats.sections] == [("x", 3, 0), ("y", 1, 1)]
    assert [r.rating for r in store.records("up")] == ["up", "up"]


def test_a_raters_later_rating_replaces_their_earlier_one(store: FeedbackStore) -> None:
    answer = _answer()
    store.record_answer(answer)
    first = store.add(answer.id, "up", source="slack", rater="U1")
    again = store.add(answer.id, "down", "changed my mind", source="slack", rater="U1")
    store.add(answer.id, "up", source="slack", rater="U2")
    store.add(answer.id, "up")
    store.add(answer.id, "up")  # anonymous ratings all count
    assert again.id == first.id
    kept = store.records()
    assert [(r.rater, r.rating, r.comment) for r in kept] == [
        ("U1", "down", "changed my mind"),
        ("U2", "up", ""),
        (None, "up", ""),
        (None, "up", ""),
    ]
    assert (store.stats().up, store.stats().down) == (3, 1)


def test_bad_feedback_is_refused_with_a_message(store: FeedbackStore) -> None:
    answer = _answer()
    store.record_answer(answer)
    with pytest.raises(UnknownAnswerError, match="no answer with id"):
        store.add("0" * 32, "up")
    with pytest.raises(InputError, match="rating must be 'up' or 'down'"):
        store.add(answer.id, "meh")
    with pytest.raises(InputError, match="over 2,000 characters"):
        store.add(answer.id, "down", "x" * 2001)
    assert store.records() == []
    kept = store.add(answer.id, "down", "nul\x00 bell\x07 \ud800 ok 👩\u200d💻\n")
    assert kept.comment == "nul bell  ok 👩\u200d💻"  # no database stores NUL or lone surrogates
    assert store.records()[0].comment == kept.comment


def test_a_rating_waits_briefly_for_an_answer_another_replica_is_still_writing(
    tmp_path: Path,
) -> None:
    """Behind a load balancer a rating can reach one replica before the replica that answered
    has written the answer; it is looked for again instead of refused at once."""
    here, there = (open_feedback_store(make_settings(tmp_path)) for _ in range(2))
    answer = _answer()
    writer = threading.Timer(0.3, there.record_answer, args=(answer,))
    writer.start()
    try:
        assert here.add(answer.id, "up").answer_id == answer.id
    finally:
        writer.join()
        here.close()
        there.close()


def test_after_a_failed_record_answers_skip_the_database_for_a_while(
    postgres_url: str, tmp_path: Path
) -> None:
    """A database that is down costs one answer its wait, not every answer."""
    database = fresh_database(postgres_url)
    name = f"r{free_port()}"
    url = database.replace("://specqa@", f"://{name}@")  # a role that does not exist yet
    opened = open_feedback_store(make_settings(tmp_path, feedback_database_url=url), pause_s=2)
    before = time.monotonic()
    opened.record_answer(_answer())  # refused: logged, skipped, and the pause begins
    after = time.monotonic()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN SUPERUSER")  # now it would work
    skipped, later = _answer(), _answer()
    opened.record_answer(skipped)  # within the pause: not even tried
    assert time.monotonic() < before + 2
    with pytest.raises(UnknownAnswerError):
        opened.add(skipped.id, "up")  # feedback itself is never paused
    time.sleep(max(0.0, after + 2.1 - time.monotonic()))  # the pause is over
    opened.record_answer(later)
    assert opened.add(later.id, "up").answer_id == later.id
    opened.close()


def test_sqlite_is_the_default_beside_the_index(tmp_path: Path) -> None:
    opened = open_feedback_store(make_settings(tmp_path))
    opened.record_answer(_answer())
    assert opened.kind == "sqlite"
    assert (tmp_path / "feedback.sqlite").is_file()


def test_an_unsupported_database_url_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must start with postgresql:// or sqlite:///"):
        make_settings(tmp_path, feedback_database_url="mysql://db/feedback")


# --- over HTTP (real uvicorn) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(
    built: tuple[Settings, IngestReport],
    parts: Components,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, str]]:
    """The app with its own feedback file, in process (these are HTTP semantics); yields a
    client of it and that database URL."""
    database = f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'feedback.sqlite'}"
    settings = make_settings(built[0].index.index_dir, feedback_database_url=database)
    with app_client(settings, parts) as client:
        yield client, database


def _ask(client: httpx.Client, question: str = QUESTION, **headers: str) -> dict[str, Any]:
    response = client.post("/v1/answer", json={"question": question}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_feedback_on_a_served_answer_is_stored_and_counted(
    served: tuple[httpx.Client, str],
) -> None:
    client, _ = served
    answer = _ask(client)
    response = client.post(
        "/v1/feedback",
        json={"answer_id": answer["id"], "rating": "down", "comment": "too vague"},
    )
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["answer_id"] == answer["id"] and saved["source"] == "api"
    assert saved["question"] == answer["question"] and saved["release"] == answer["release"]
    assert saved["section_ids"] == list(dict.fromkeys(c["section_id"] for c in answer["citations"]))
    assert saved["confidence"] == answer["confidence"] and saved["mode"] == "extractive"
    metrics = client.get("/metrics").text
    assert re.search(r'^specqa_feedback_total\{rating="down"\} [1-9]', metrics, re.M)


def test_a_streamed_answer_can_be_rated_by_its_id_and_rerated_by_the_same_rater(
    served: tuple[httpx.Client, str],
) -> None:
    client, _ = served
    with client.stream(
        "POST", "/v1/answer?stream=true", json={"question": "Can the model lie?"}
    ) as response:
        text = response.read().decode()
    done = json.loads(text.split("event: done\ndata: ", 1)[1].split("\n", 1)[0])
    sent = [
        client.post(
            "/v1/feedback",
            json={"answer_id": done["id"], "rating": rating, "rater": "user-1", "source": "slack"},
        )
        for rating in ("up", "down")
    ]
    assert [r.status_code for r in sent] == [201, 201]
    first, second = (r.json() for r in sent)
    assert second["id"] == first["id"] and second["rating"] == "down"  # replaced, not added
    assert second["comment"] == "" and second["source"] == "api"  # the route's, not the body's
    assert second["rater"].startswith("api:ip-") and second["rater"].endswith(":user-1")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"answer_id": "0" * 32, "rating": "up"}, 404, "no answer with id"),
        ({"answer_id": "x", "rating": "meh"}, 422, "rating"),
        ({"answer_id": "x", "rating": "down", "comment": "x" * 2001}, 422, "comment"),
        ({"rating": "up"}, 422, "answer_id"),
        ({"answer_id": "x" * 65, "rating": "up"}, 422, "answer_id"),
        ({"answer_id": "x\u0000y", "rating": "up"}, 422, "answer_id"),
        ({"answer_id": "x", "rating": "up", "rater": "x" * 65}, 422, "rater"),
        ({"answer_id": "x", "rating": "up", "rater": "has spaces"}, 422, "rater"),
    ],
)
def test_bad_feedback_gets_a_4xx_json_message(
    served: tuple[httpx.Client, str], body: dict[str, Any], status: int, message: str
) -> None:
    response = served[0].post("/v1/feedback", json=body)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]


def test_feedback_needs_the_api_key_when_keys_are_set(
    built: tuple[Settings, IngestReport], parts: Components, tmp_path: Path
) -> None:
    settings = make_settings(
        built[0].index.index_dir,
        api_keys=KEY,
        feedback_database_url=f"sqlite:///{tmp_path / 'f.sqlite'}",
    )
    with app_client(settings, parts) as client:
        answer = _ask(client, Authorization=f"Bearer {KEY}")
        body = {"answer_id": answer["id"], "rating": "up"}
        refused = client.post("/v1/feedback", json=body)
        assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers
        accepted = client.post(
            "/v1/feedback", json=body, headers={"Authorization": f"Bearer {KEY}"}
        )
        assert accepted.status_code == 201


def test_with_the_feedback_database_down_answers_go_out_and_feedback_gets_503(
    built: tuple[Settings, IngestReport], parts: Components
) -> None:
    closed = f"postgresql://nobody@127.0.0.1:{free_port()}/feedback"  # nothing listens there
    settings = make_settings(built[0].index.index_dir, feedback_database_url=closed)
    with app_client(settings, parts) as client:
        answer = _ask(client)
        response = client.post("/v1/feedback", json={"answer_id": answer["id"], "rating": "up"})
    assert response.status_code == 503
    message = response.json()["error"]["message"]
    assert message == "the feedback database is unreachable; try again shortly"


# --- the CLI -------------------------------------------------------------------------------------


def test_cli_exports_json_lines_and_csv_and_lists_the_worst_questions(
    served: tuple[httpx.Client, str], tmp_path: Path
) -> None:
    client, database = served
    answer = _ask(client, "Can the model write erotica for adults?")
    for rater, comment in (("alice", "misses the adult-content rule"), ("bob", "")):
        client.post(  # two raters: one rater's second rating would replace the first
            "/v1/feedback",
            json={"answer_id": answer["id"], "rating": "down", "comment": comment, "rater": rater},
        ).raise_for_status()
    env = {"SPECQA_FEEDBACK_DATABASE_URL": database}
    exported = run_cli("feedback", "export", "--rating", "down", env=env)
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert all(line["rating"] == "down" for line in lines)
    assert {"answer_id", "question", "release", "mode", "section_ids", "confidence"} <= set(
        lines[-1]
    )
    assert lines[-1]["answer_id"] == answer["id"]

    table = tmp_path / "feedback.csv"
    assert run_cli("feedback", "export", "--csv", str(table), env=env).returncode == 0
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert rows[-1]["question"] == answer["question"] and rows[-1]["rating"] == "down"
    assert rows[-1]["section_ids"] == " ".join(lines[-1]["section_ids"])

    stats = run_cli("feedback", "stats", "--json", env=env)
    assert stats.returncode == 0, stats.stderr
    worst = json.loads(stats.stdout)["questions"][0]
    assert (worst["question"], worst["down"]) == (answer["question"], 2)
    assert worst["comments"] == ["misses the adult-content rule"]
    shown = run_cli("feedback", "stats", env=env)
    assert "questions with the most 👎" in shown.stdout and "misses the adult" in shown.stdout


def test_cli_reads_the_sqlite_file_beside_the_index_and_fails_in_one_line(tmp_path: Path) -> None:
    store = open_feedback_store(make_settings(tmp_path))
    answer = _answer("Is the file beside the index read?")
    store.record_answer(answer)
    store.add(answer.id, "down", "yes")
    shown = run_cli("feedback", "stats", "--index-dir", str(tmp_path), "--json")
    assert json.loads(shown.stdout)["questions"][0]["question"] == answer.question
    down = run_cli(
        "feedback",
        "stats",
        env={"SPECQA_FEEDBACK_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/x"},
    )
    assert down.returncode == 2
    assert down.stderr.startswith("specqa: error: the feedback database (postgresql) failed")
    assert len(down.stderr.strip().splitlines()) == 1


# --- two servers, one PostgreSQL -----------------------------------------------------------------


def test_two_servers_sharing_postgres_rate_each_others_answers(
    built: tuple[Settings, IngestReport],
    parts: Components,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    """The app in this process, one `specqa serve` process with its own copy of the index:
    they share nothing but the feedback database."""
    settings = make_settings(built[0].index.index_dir, feedback_database_url=postgres_url)
    index = tmp_path / "index"
    shutil.copytree(
        built[0].index.index_dir, index, ignore=shutil.ignore_patterns("feedback.sqlite*")
    )
    env = {"SPECQA_FEEDBACK_DATABASE_URL": postgres_url}
    with (
        app_client(settings, parts) as here,
        _served(index, env) as url,
        httpx.Client(base_url=url, timeout=60) as there,
    ):
        from_here, from_there = _ask(here), _ask(there, "Can the model lie to users?")
        for client, answer, via in ((there, from_here, "there"), (here, from_there, "here")):
            response = client.post(
                "/v1/feedback",
                json={"answer_id": answer["id"], "rating": "down", "comment": f"via {via}"},
            )
            assert response.status_code == 201, response.text
            assert response.json()["question"] == answer["question"]
    exported = run_cli("feedback", "export", env=env)
    assert exported.returncode == 0, exported.stderr
    rated = {
        json.loads(line)["answer_id"]: json.loads(line) for line in exported.stdout.splitlines()
    }
    assert rated[from_here["id"]]["comment"] == "via there"
    assert rated[from_there["id"]]["comment"] == "via here"


@contextmanager
def _served(index: Path, env: dict[str, str]) -> Iterator[str]:
    """`specqa serve` in another process over ``index`` (a second replica), rate limit off."""
    server = start_serve(
        host="127.0.0.1",
        env={
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "SPECQA_INDEX_DIR": str(index),
            "SPECQA_RATE_LIMIT_PER_MINUTE": "0",
            "SPECQA_API_KEYS": "",
            "SPECQA_LLM_MODEL": "",
            "OPENAI_MODEL": "",
            **env,
        },
    )
    try:
        server.wait_ready(240)
        yield server.url
    finally:
        server.stop()


def test_compose_shares_one_postgres_for_feedback_between_the_replicas() -> None:
    import yaml

    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    app = services["specqa"]
    url = app["environment"]["SPECQA_FEEDBACK_DATABASE_URL"]
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "feedback-data" in compose["volumes"]
