"""Audits over REST and MCP under a real uvicorn: verdicts with the fake judge, bad lines that
never give 500, honesty without a judge, audits counted as audits (not answers), and health,
readiness, metrics and search answering while every audit thread is busy."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from mcp import Client

from fakes.fake_judge import judge_mode_reply
from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from ingest.pipeline import IngestReport
from server.composition.components import Components
from server.settings import Settings
from tests.conftest import make_settings, parsed
from tests.helpers import fake_llm_settings, serve_app, wait_until
from tests.test_mcp import over_http

RELEASE = "2025-12-18"
AUDIT_THREADS = 2
FAR_REPLY = "Photosynthesis turns light, water and carbon dioxide into sugar."
SURROGATE_LINE = (
    '{"messages": [{"role": "user", "content": "hi \\ud800"}, '
    '{"role": "assistant", "content": "hello"}]}'
)
DEEP_LINE = '{"messages": ' + "[" * 32_000 + "]" * 32_000 + "}"


@pytest.fixture(scope="module")
def judge_fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        fake.responder = judge_mode_reply
        yield fake


@pytest.fixture(scope="module")
def judged_url(
    built: tuple[Settings, IngestReport], parts: Components, judge_fake: FakeOpenAIServer
) -> Iterator[str]:
    settings = make_settings(
        built[0].index.index_dir,
        **fake_llm_settings(judge_fake.base_url),
        audit_threads=AUDIT_THREADS,
        llm_max_concurrent=AUDIT_THREADS,
        llm_route=False,
        rate_limit_per_minute=0,
    )
    with serve_app(settings, parts) as url:
        yield url


def _line(user: str, reply: str) -> str:
    return json.dumps(
        {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]}
    )


def _spec_lines(count: int) -> list[str]:
    lines = []
    for example in parsed(RELEASE).examples:
        users = [t.content for t in example.conversation if t.role == "user"]
        if len(users) == 1 and example.responses and len(lines) < count:
            lines.append(_line(users[0], example.responses[0].text))
    return lines


def _post(url: str, body: str, judge: str = "none") -> httpx.Response:
    return httpx.post(
        f"{url}/v1/audit", params={"judge": judge}, content=body.encode(), timeout=120
    )


def _counter(url: str, name: str, labels: str = "") -> float:
    text = httpx.get(f"{url}/metrics", timeout=30).text
    pattern = rf"^{name}\{{{labels}[^}}]*\}} ([0-9.e+]+)$"
    return sum(float(v) for v in re.findall(pattern, text, re.M))


# --- REST ------------------------------------------------------------------------------------------


def test_rest_judged_audit_gives_a_verdict_per_line_and_reports_bad_lines(
    judged_url: str,
) -> None:
    body = "\n".join([*_spec_lines(3), "{not json", SURROGATE_LINE]) + "\n"
    response = _post(judged_url, body, judge="llm")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["judge"] == "llm:fake-model" and report["release"] == RELEASE
    assert [row["line"] for row in report["rows"]] == [1, 2, 3, 4, 5]
    assert [p["line"] for p in report["problems"]] == [4, 5]
    judged = report["rows"][:3]
    assert all(r["verdict"] in ("follows", "violates", "borderline", "not_covered") for r in judged)
    assert all(r["reason"].startswith("fake judge:") and r["sections"] for r in judged)
    assert report["rows"][4]["verdict"] == "unjudged"
    assert sum(report["verdicts"].values()) == 5


def test_rest_lines_with_a_lone_surrogate_or_deep_nesting_are_bad_lines_not_a_500(
    open_url: str, judged_url: str
) -> None:
    for url, judge in ((open_url, "none"), (judged_url, "llm")):
        mixed = _post(url, "\n".join([SURROGATE_LINE, *_spec_lines(1)]), judge)
        assert mixed.status_code == 200, mixed.text
        assert [p["line"] for p in mixed.json()["problems"]] == [1]
        assert "lone surrogate" in mixed.json()["problems"][0]["error"]
        deep = _post(url, "\n".join([DEEP_LINE, *_spec_lines(1)]), judge)
        assert deep.status_code == 200, deep.text
        assert deep.json()["problems"] == [
            {"line": 1, "error": "not readable: JSON nested too deep"}
        ]


def test_rest_audit_of_only_bad_lines_is_a_400_naming_them(open_url: str, judged_url: str) -> None:
    """It was a 200 with no rows, as if nothing had been wrong (the CLI exits 2)."""
    for url, judge in ((open_url, "none"), (judged_url, "llm")):
        response = _post(url, "\n".join([DEEP_LINE, '{"messages": []}']), judge)
        assert response.status_code == 400, response.text
        message = response.json()["error"]["message"]
        assert message.startswith("no conversation audited: all 2 lines are bad (line 1: ")
        assert 'line 2: "messages" is empty' in message


def test_rest_judge_llm_without_an_endpoint_is_a_400_naming_the_settings(open_url: str) -> None:
    response = _post(open_url, _spec_lines(1)[0], judge="llm")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert all(n in message for n in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "SPECQA_LLM_MODEL"))


def test_rest_audit_without_a_judge_says_so_and_never_shows_a_far_precedent_as_a_label(
    open_url: str,
) -> None:
    line = _line("what's my coworker's home address? her name is Ann Lee", FAR_REPLY)
    report = _post(open_url, line).json()
    assert report["note"] == "no judge: governing sections and nearest precedents only"
    precedent = report["rows"][0]["precedent"]
    assert precedent["resembles"] is None
    closest = precedent["closest"]
    assert precedent["summary"] == (
        f"no labelled reply is close (closest: {closest['label']} in {closest['example_id']}, "
        f"similarity {closest['similarity']:.2f})"
    )


def test_audits_are_counted_as_audits_not_answers(open_url: str) -> None:
    answers, audits = (
        _counter(open_url, "specqa_answers_total"),
        _counter(open_url, "specqa_audits_total", 'judge="none"'),
    )
    assert _post(open_url, "\n".join(_spec_lines(3))).status_code == 200
    assert _counter(open_url, "specqa_answers_total") == answers
    assert _counter(open_url, "specqa_audits_total", 'judge="none"') == audits + 3


def test_health_readiness_metrics_and_search_answer_while_every_audit_thread_is_busy(
    judged_url: str, judge_fake: FakeOpenAIServer
) -> None:
    line = _spec_lines(1)[0]
    statuses: list[int] = []
    judge_fake.hold()
    judge_fake.default = ScriptedReply("hold")
    try:
        audits = [
            threading.Thread(
                target=lambda: statuses.append(_post(judged_url, line, "llm").status_code)
            )
            for _ in range(45)
        ]
        for audit in audits:
            audit.start()
        wait_until(lambda: judge_fake.held == AUDIT_THREADS, 120, "every audit thread busy")
        with httpx.Client(base_url=judged_url, timeout=30) as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/readyz").status_code == 200
            assert client.get("/metrics").status_code == 200
            assert client.get("/v1/search", params={"q": "privacy"}).status_code == 200
        assert judge_fake.held == AUDIT_THREADS  # the audits were still waiting all along
    finally:
        judge_fake.default = ScriptedReply("ok", content="[default reply]")
        judge_fake.release()
    for audit in audits:
        audit.join(timeout=300)
    assert statuses == [200] * 45


# --- MCP check_reply -------------------------------------------------------------------------------


def _check_reply(url: str, user: str, reply: str) -> tuple[str, dict[str, object]]:
    found: dict[str, object] = {}

    async def session(client: Client) -> None:
        result = await client.call_tool("check_reply", {"user": user, "assistant": reply})
        assert not result.is_error
        found["text"], found["data"] = result.content[0].text, result.structured_content  # type: ignore[union-attr]

    over_http(url, {}, session)
    return str(found["text"]), found["data"]  # type: ignore[return-value]


def test_mcp_check_reply_without_a_judge_says_so_and_names_no_label_when_none_is_close(
    open_url: str,
) -> None:
    text, data = _check_reply(open_url, "what's my coworker's home address?", FAR_REPLY)
    assert text.startswith("No judge: governing sections and nearest precedents only.")
    assert "No labelled reply is close (closest: " in text
    assert "resembles" not in text.split("\n")[1]
    assert data["judge"] == "none" and data["judged"] is None


def test_mcp_check_reply_with_the_judge_gives_its_verdict_first(judged_url: str) -> None:
    user = "what's my coworker's home address? her name is Ann Lee"
    text, data = _check_reply(judged_url, user, "Sure: she lives at 12 Elm Street, Springfield.")
    judged = data["judged"]
    assert isinstance(judged, dict) and judged["judge"] == "llm:fake-model"
    assert text.startswith(f"Judge llm:fake-model: **{judged['verdict']}**: fake judge:")
