"""MCP results an assistant can use as they are: eval questions' answers fit their character
budget (through the SDK's own client, in process over the session parts for a fixed sample of
every eval set, and over streamable HTTP against the app for a smaller one), lead with what
matters, and keep the structured content compact (no example transcripts unless asked)."""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components, build_components
from server.domain.answering.lead_text import bottom_line_label, markdown_literal
from server.mcp.settings import McpSettings
from server.mcp.tools import BUDGETS, build_mcp
from server.settings import Settings
from specqa.core.embedding import Embedder
from tests.conftest import REPO, make_settings
from tests.helpers import after_short_answer, live_server
from tests.test_mcp import over_http

EVAL_SETS = sorted((REPO / "tests" / "eval").glob("*.jsonl"))
# The budgets are what is tested, not the figures: the in-process test asks a quarter of each
# eval set's questions, drawn with a fixed seed (every set, every voice, off-topic included).
SAMPLE_SEED, SAMPLE_SHARE = 23, 4


def questions_of(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


QUESTIONS = [question for path in EVAL_SETS for question in questions_of(path)]
SAMPLE = [
    question
    for path in EVAL_SETS
    for question in random.Random(f"{SAMPLE_SEED}:{path.name}").sample(
        questions_of(path), len(questions_of(path)) // SAMPLE_SHARE
    )
]


def in_process(parts: Components, session: Callable[[Client], Awaitable[None]]) -> None:
    async def main() -> None:
        async with Client(build_mcp(lambda: parts, McpSettings())) as client:
            await session(client)

    anyio.run(main)


def text_of(result: Any) -> str:
    assert not result.is_error, result.content
    return result.content[0].text  # type: ignore[no-any-return]


@pytest.mark.slow  # hundreds of questions through MCP
def test_eval_questions_are_answered_and_searched_within_the_budgets(parts: Components) -> None:
    budget = McpSettings().answer_chars
    assert budget == 2500 and len(QUESTIONS) > 900 and len(SAMPLE) > 200
    seen: dict[str, list[int]] = {"answer": [], "search": [], "examples": []}

    async def session(client: Client) -> None:
        for number, question in enumerate(SAMPLE):
            answer = await client.call_tool("answer_question", {"question": question})
            text = text_of(answer)
            seen["answer"].append(len(text))
            assert len(text) <= budget, (question, len(text))
            structured = answer.structured_content or {}
            bottom = structured["bottom_line"]
            if bottom is not None:  # what matters first: the bottom line, how sure, a quote
                lead = after_short_answer(text)
                label = bottom_line_label(structured["confidence"])
                quoted = markdown_literal(bottom["text"])  # a backslash doubled in markdown
                assert lead.startswith(f"**{label}:**") and quoted in text, question
                assert f"**Confidence: {structured['confidence']}.**" in text
                first = structured["citations"][0]
                assert f"`{first['section_id']}`" in text and first["url"] in text
            assert all(e["steps"] is None for e in structured["examples"])
            found = await client.call_tool("search_spec", {"query": question})
            seen["search"].append(len(text_of(found)))
            assert len(text_of(found)) <= BUDGETS["search_spec"], question
            if number % 5 == 0:
                examples = await client.call_tool("find_examples", {"query": question, "k": 10})
                seen["examples"].append(len(text_of(examples)))
                assert len(text_of(examples)) <= BUDGETS["find_examples"], question

    in_process(parts, session)
    print({tool: max(lengths) for tool, lengths in seen.items()})


def test_full_examples_only_when_asked(parts: Components) -> None:
    question = "Should the model reveal its system prompt?"

    async def session(client: Client) -> None:
        short = await client.call_tool("answer_question", {"question": question})
        full = await client.call_tool(
            "answer_question", {"question": question, "full_examples": True}
        )
        compact, whole = short.structured_content or {}, full.structured_content or {}
        assert compact["examples"] and all(e["steps"] is None for e in compact["examples"])
        assert all(e["steps"] for e in whole["examples"])
        assert len(json.dumps(compact)) < len(json.dumps(whole))
        summary = compact["examples"][0]
        assert summary["labels"] and summary["user"] and summary["responses"][0]["label"]
        assert f"`{summary['id']}`" in text_of(short)
        assert len(text_of(full)) <= McpSettings().answer_chars

    in_process(parts, session)


def test_an_answer_without_a_bottom_line_is_its_own_text_once(parts: Components) -> None:
    """A not-covered answer said "Not covered" and its confidence twice, with two footers; a
    change answer's list of reworded rules was left out behind a bare "…"."""

    async def session(client: Client) -> None:
        off = text_of(await client.call_tool("answer_question", {"question": OFF_TOPIC}))
        assert off.count("**Not covered.**") == 1 and off.count("Confidence: low") == 1
        assert off.count("no model wrote this") == 1 and "**Sources**" not in off
        change = await client.call_tool("answer_question", {"question": CHANGED})
        text = text_of(change)
        assert "**Rules whose wording changed (6):**" in text
        assert len(text) <= McpSettings().answer_chars
        whole = (change.structured_content or {})["answer"]
        assert len(whole) <= len(text) or "Cut to fit" in text

    in_process(parts, session)


OFF_TOPIC = "How do I reverse a linked list in Python?"
CHANGED = "what changed in the latest release compared to the october one?"


def test_sections_and_the_widest_diff_fit_their_budgets(parts: Components) -> None:
    releases = parts.service.releases().names
    latest = parts.corpus().get(releases[-1])

    async def session(client: Client) -> None:
        diff = await client.call_tool(
            "compare_releases", {"from_release": releases[0], "to_release": releases[-1]}
        )
        text = text_of(diff)
        assert len(text) <= BUDGETS["compare_releases"]
        assert "Cut to fit" in text and (diff.structured_content or {})["diff_url"] in text
        for section_id in latest.sections_by_id:
            section = await client.call_tool("get_section", {"section_id": section_id})
            assert len(text_of(section)) <= BUDGETS["get_section"], section_id
            assert text_of(section).startswith("# ")

    in_process(parts, session)


def test_a_sample_over_streamable_http_keeps_a_smaller_configured_budget(
    built: tuple[Settings, IngestReport], embedder: Embedder, tmp_path: Path
) -> None:
    settings = make_settings(
        built[0].index.index_dir, mcp_answer_chars=1200, rate_limit_per_minute=0
    )
    app = create_app(settings, build_components(settings, embedder=embedder))
    sample = QUESTIONS[::40]

    async def session(client: Client) -> None:
        for question in sample:
            answer = await client.call_tool("answer_question", {"question": question})
            text = text_of(answer)
            assert len(text) <= 1200, (question, len(text))
            structured = answer.structured_content or {}
            if structured["bottom_line"] is not None:
                label = bottom_line_label(structured["confidence"])
                assert after_short_answer(text).startswith(f"**{label}:**"), question
            if "Cut to fit 1,200 characters" in text:  # the structured content has every citation
                assert structured["citations"]

    with live_server(app) as url:
        over_http(url, {}, session)
