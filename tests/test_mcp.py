"""The MCP server through the SDK's own client: over stdio (`specqa mcp` in a subprocess) and over
streamable HTTP (the app under uvicorn on loopback, behind the bearer auth and Origin check)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from ingest.pipeline import IngestReport
from server.composition.components import Components
from server.settings import Settings
from tests.conftest import REPO, make_settings, parsed
from tests.helpers import after_short_answer, serve_app

KEY = "mcp-test-key"
ALLOWED_ORIGIN = "https://assistant.example"
TOOLS = {
    "search_spec",
    "answer_question",
    "get_section",
    "find_examples",
    "compare_releases",
    "check_reply",
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
JSON_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def base_url(built: tuple[Settings, IngestReport], parts: Components) -> Iterator[str]:
    settings = make_settings(built[0].index.index_dir, api_keys=KEY, cors_origins=ALLOWED_ORIGIN)
    with serve_app(settings, parts) as url:
        yield url


Session = Callable[[Client], Awaitable[None]]


async def in_session(session: Session, transport: Any, seconds: float = 300) -> None:
    with anyio.fail_after(seconds):
        async with Client(transport) as client:
            await session(client)


def over_http(url: str, headers: dict[str, str], session: Session) -> None:
    async def main() -> None:
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            await in_session(session, streamable_http_client(f"{url}/mcp", http_client=http))

    anyio.run(main)


async def exercise(client: Client) -> None:
    """Everything an assistant does: list, call each tool, read a resource, err politely."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) >= TOOLS
    for tool in tools.values():
        assert tool.description and tool.output_schema
        for name, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"

    answer = await client.call_tool(
        "answer_question", {"question": "Should the model reveal its system prompt?"}
    )
    assert not answer.is_error
    citations = answer.structured_content["citations"]
    assert any(c["section_id"] == "protect_privileged_information" for c in citations)
    assert all(c["url"].startswith("https://model-spec.openai.com/") for c in citations)
    text = answer.content[0].text
    assert after_short_answer(text).startswith("**Bottom line:**") and "**Confidence: " in text
    assert answer.structured_content["confidence"] in ("high", "medium", "low")
    await a_follow_up_keeps_the_conversations_topic(client)

    found = await client.call_tool("search_spec", {"query": "sycophancy", "k": 3})
    assert not found.is_error
    assert "avoid_sycophancy" in [s["id"] for s in found.structured_content["sections"]]

    section = await client.call_tool(
        "get_section", {"section_id": "avoid_sycophancy", "release": "2025-04-11"}
    )
    assert not section.is_error
    assert section.structured_content["release"] == "2025-04-11"
    assert section.structured_content["authority"] == "user"
    assert section.structured_content["examples"]

    examples = await client.call_tool(
        "find_examples", {"query": "investment advice", "label": "BAD", "k": 2}
    )
    assert not examples.is_error
    cards = examples.structured_content["examples"]
    assert 0 < len(cards) <= 2
    assert all(any(r["label"] == "BAD" for r in card["responses"]) for card in cards)
    cited = {c["section_id"] for c in examples.structured_content["citations"]}
    assert {card["section_id"] for card in cards} <= cited

    compared = await client.call_tool(
        "compare_releases", {"from_release": "2025-10-27", "to_release": "2025-12-18"}
    )
    assert not compared.is_error
    diff = compared.structured_content["diff"]
    assert diff["from"] == "2025-10-27" and "prioritize_teen_safety" in diff["added"]
    refs = {c["section_id"]: c for c in compared.structured_content["citations"]}
    assert refs["prioritize_teen_safety"]["release"] == "2025-12-18"

    privacy = await client.call_tool(
        "get_section", {"section_id": "protect_privacy", "release": "2025-12-18"}
    )
    text = privacy.content[0].text  # type: ignore[union-attr]
    order = ["What's my mayor", "I can't share private", "Office of the Mayor", "No I meant her"]
    assert sorted(order, key=text.index) == order  # each reply before the follow-up question
    assert "(see [chain_of_command](https://model-spec.openai.com/2025-12-18.html#" in text
    # a label by another section's rule keeps it in the summaries too: a plain "BAD" read as a
    # privacy violation where the spec's is an over-refusal
    mayor = await client.call_tool(
        "find_examples", {"query": "the mayor's office phone number", "label": "BAD", "k": 3}
    )
    card = next(c for c in mayor.structured_content["examples"] if c["id"] == "protect_privacy/ex1")
    assert any(r["see_sections"] == ["chain_of_command"] for r in card["responses"])
    assert "BAD (see `chain_of_command`)" in mayor.content[0].text  # type: ignore[union-attr]

    latest = await client.call_tool(
        "compare_releases", {"from_release": "2025-10-27", "to_release": "latest"}
    )
    assert not latest.is_error and latest.structured_content["diff"]["to"] == "2025-12-18"
    latest_section = await client.call_tool(
        "get_section", {"section_id": "do_not_lie", "release": "latest"}
    )
    assert latest_section.structured_content["release"] == "2025-12-18"

    bad = next(
        r.text
        for e in parsed("2025-12-18").examples
        if e.section_id == "protect_privacy"
        for r in e.responses
        if r.label == "BAD" and len(r.text) > 80
    )
    example = next(
        e for e in parsed("2025-12-18").examples if any(r.text == bad for r in e.responses)
    )
    user = next(t.content for t in example.conversation if t.role == "user")
    checked = await client.call_tool("check_reply", {"user": user, "assistant": bad})
    assert not checked.is_error
    precedent = checked.structured_content["precedent"]
    assert precedent["resembles"] == "BAD"
    assert precedent["closest"]["example_id"] == example.id
    assert f"resembles a BAD response in {example.id}" in checked.content[0].text

    resource = await client.read_resource("spec://2025-12-18/do_not_lie")
    text = resource.contents[0].text  # type: ignore[union-attr]
    assert text.startswith("# Do not lie")
    assert "model-spec.openai.com/2025-12-18.html#do_not_lie" in text
    templates = (await client.list_resource_templates()).resource_templates
    assert "spec://{release}/{section_id}" in [t.uri_template for t in templates]

    await invalid_arguments_are_errors(client)


async def a_follow_up_keeps_the_conversations_topic(client: Client) -> None:
    """``history`` reaches the answering service: the earlier question's topic (swearing, in
    `be_professional`) holds, where the follow-up alone is about developers."""
    follow_up = {"question": "And if the developer allows it?"}
    alone = await client.call_tool("answer_question", follow_up)
    after = await client.call_tool(
        "answer_question", {**follow_up, "history": ["Will it swear if I ask it to?"]}
    )
    assert not alone.is_error and not after.is_error
    assert alone.structured_content["citations"][0]["section_id"] != "be_professional"
    assert after.structured_content["citations"][0]["section_id"] == "be_professional"


async def invalid_arguments_are_errors(client: Client) -> None:
    for name, arguments, hint in [
        ("search_spec", {"query": "", "k": 99}, "invalid arguments for search_spec: query: "),
        ("search_spec", {"k": 1}, "query"),
        ("get_section", {"section_id": "no_such_section"}, "no section 'no_such_section'"),
        ("get_section", {"section_id": "../../etc/passwd"}, "pattern"),
        ("answer_question", {"question": "x" * 5000}, "longer than 2000"),
        ("answer_question", {"question": "lying?", "release": "1999-01-01"}, "unknown release"),
        ("get_section", {"section_id": "do_not_lei"}, "did you mean 'do_not_lie'"),
        ("check_reply", {"user": "hi"}, "assistant"),
        ("find_examples", {"label": "MAYBE"}, "label"),
        ("compare_releases", {"from_release": "2025-10-27"}, "to_release"),
        ("compare_releases", {"from_release": "", "to_release": ""}, "from: name a release"),
    ]:
        result = await client.call_tool(name, arguments)
        assert result.is_error, (name, arguments)
        text = result.content[0].text  # type: ignore[union-attr]
        assert hint in text and "pydantic" not in text and "input_value" not in text, text
    with pytest.raises(MCPError, match="no section"):
        await client.read_resource("spec://2025-12-18/no_such_section")
    # the server is still fine afterwards
    assert not (await client.call_tool("get_section", {"section_id": "do_not_lie"})).is_error


def test_stdio_transport(built: tuple[Settings, IngestReport], tmp_path: Path) -> None:
    settings = built[0]
    env = {
        "SPECQA_INDEX_DIR": str(settings.index.index_dir),
        "SPECQA_SPEC_DIR": str(settings.spec.spec_dir),
        "SPECQA_MODEL_CACHE_DIR": str(
            settings.index.model_cache_path
        ),  # the tuned model lives there
        "HF_HUB_OFFLINE": "1",
    }
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "specqa", "mcp"], env=env, cwd=str(REPO)
    )
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as errlog:
        try:
            anyio.run(in_session, exercise, stdio_client(server, errlog=errlog))
        except BaseException:
            print(stderr.read_text()[-4000:])  # the server's own account, on failure
            raise


def test_streamable_http_transport(base_url: str) -> None:
    over_http(base_url, {"Authorization": f"Bearer {KEY}"}, exercise)


def test_the_question_limit_listed_is_the_one_the_server_is_configured_with(
    base_url: str,
) -> None:
    """The schema said 100,000 characters (the most a deployment may configure) where the
    server refuses past 2,000: a client that checks before calling was told the wrong limit."""
    limit = make_settings(Path("unused")).answers.max_question_chars

    async def listed(client: Client) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        question = tools["answer_question"].input_schema["properties"]["question"]
        assert question["maxLength"] == limit
        refused = await client.call_tool("answer_question", {"question": "x" * (limit + 1)})
        assert refused.is_error and str(limit) in refused.content[0].text

    over_http(base_url, {"Authorization": f"Bearer {KEY}"}, listed)


def test_a_long_history_over_http_is_trimmed_not_refused(base_url: str) -> None:
    """Past 64 KiB the HTTP transport answered a plain 413, which the client only shows as
    "Server returned an error response"; the tool's schema says the history is trimmed."""

    async def long_history(client: Client) -> None:
        history = [
            f"Earlier question {n} about swearing? " + "and more words " * 250 for n in range(60)
        ]
        history.append("Will it swear if I ask it to?")
        result = await client.call_tool(
            "answer_question",
            {"question": "And if the developer allows it?", "history": history},
        )
        assert not result.is_error, result.content
        assert result.structured_content["citations"][0]["section_id"] == "be_professional"

    over_http(base_url, {"Authorization": f"Bearer {KEY}"}, long_history)


def test_compare_releases_across_several_releases_reports_the_rename_and_its_release(
    base_url: str,
) -> None:
    async def compare(client: Client) -> None:
        arguments = {
            "from_release": "2025-02-12",
            "to_release": "2025-12-18",
            "section_id": "protect_privileged_information",
        }
        result = await client.call_tool("compare_releases", arguments)
        assert not result.is_error
        diff = result.structured_content["diff"]
        assert diff["added"] == [] and diff["removed"] == []
        assert [(r["from_id"], r["to_id"], r["renamed_in"]) for r in diff["renamed"]] == [
            ("protect_privileged_messages", "protect_privileged_information", ["2025-09-12"])
        ]
        text = result.content[0].text  # type: ignore[union-attr]
        assert "id renamed in 2025-09-12: protect_privileged_messages -> " in text
        assert "Added sections" not in text

    over_http(base_url, {"Authorization": f"Bearer {KEY}"}, compare)


def test_http_allowed_origins(base_url: str) -> None:
    async def ping(client: Client) -> None:
        assert len((await client.list_tools()).tools) >= 5

    for origin in (ALLOWED_ORIGIN, base_url):  # configured CORS origin; the server's own
        over_http(base_url, {"Authorization": f"Bearer {KEY}", "Origin": origin}, ping)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong-key"}, 401),
        ({"Authorization": f"Bearer {KEY}", "Origin": "https://evil.example"}, 403),
        ({"Authorization": f"Bearer {KEY}", "Origin": "null"}, 403),
        ({"Origin": "https://evil.example"}, 403),
    ],
)
def test_http_refuses_bad_keys_and_foreign_origins(
    base_url: str, headers: dict[str, str], status: int
) -> None:
    response = httpx.post(
        f"{base_url}/mcp", json=INITIALIZE, headers={**JSON_HEADERS, **headers}, trust_env=False
    )
    assert response.status_code == status
    assert response.json()["error"]["message"]

    async def never(client: Client) -> None:
        raise AssertionError("the session should not have started")

    with pytest.raises(Exception) as failure:  # noqa: PT011 - the SDK wraps it in groups
        over_http(base_url, headers, never)
    # the official client shows the refusal's own message, not "Server returned an error response"
    shown = [str(error) for error in _leaves(failure.value)]
    assert response.json()["error"]["message"] in shown, shown


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def test_http_malformed_requests_are_4xx(base_url: str) -> None:
    auth = {**JSON_HEADERS, "Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base_url, headers=auth, trust_env=False, timeout=30) as http:
        assert http.post("/mcp", content=b"{not json").status_code == 400
        assert http.get("/mcp").status_code == 405
        ok = http.post("/mcp", json=INITIALIZE)
        assert ok.status_code == 200
        assert ok.json()["result"]["serverInfo"]["name"] == "specqa"
