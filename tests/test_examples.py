"""Multi-step examples keep their order: in the parse and on every surface, for every release.

A multi-step example judges a reply, then the conversation goes on and a later reply is judged.
Each surface must show every reply after the turn it answers and before the next turn.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.text import Text

from server.domain.answering.llm.excerpts import whole_sentences
from server.domain.answering.llm.prompt import answer_messages as llm_messages
from server.domain.precedents.example_view import MARKDOWN, example_card, render_example, shorten
from server.domain.precedents.export import examples_csv
from server.domain.retrieval.hybrid import ExampleHit, RetrievalResult
from server.domain.schemas import Answer, ExampleCard
from server.slack.blocks import escape
from server.slack.compact import compact_message
from specqa.cli.commands.query import example_lines
from specqa.core.spec import Example
from tests.conftest import RELEASES, parsed, spec_dir

MULTI_STEP = {"2025-02-12": 9, "2025-04-11": 9, "2025-09-12": 9, "2025-10-27": 9, "2025-12-18": 8}
_OPEN = re.compile(r"^<(?P<role>system|developer|user|assistant|tool)\b[^>]*>(?P<rest>.*)$")


def multi_step(release: str) -> list[Example]:
    return [e for e in parsed(release).examples if e.multi_step]


def every_multi_step() -> list[tuple[str, str]]:
    return [(release, e.id) for release in RELEASES for e in multi_step(release)]


def example(release: str, example_id: str) -> Example:
    return next(e for e in parsed(release).examples if e.id == example_id)


def raw_order(release: str, title: str) -> list[tuple[str, str]]:
    """("turn", role) and ("reply", label) as they appear in the release file: an oracle that
    reads the markdown without the parser."""
    text = (spec_dir() / f"model_spec-{release}.md").read_text(encoding="utf-8")
    assert text.count(f"**Example**: {title}\n") == 1
    after = text.split(f"**Example**: {title}\n", 1)[1]
    opening = re.search(r"^(`{3,}|~{3,})\w*$", after, re.MULTILINE)
    assert opening is not None
    fence = after[opening.end() :].split(f"\n{opening[1]}\n", 1)[0].splitlines()
    order: list[tuple[str, str]] = []
    in_comparison, closing = False, ""
    for raw in fence:
        line = raw.strip().lstrip("*")
        if closing:
            closing = "" if line == closing else closing
            continue
        if line in ("<comparison>", "</comparison>"):
            in_comparison = line == "<comparison>"
            continue
        opened = _OPEN.match(line)
        if not opened:
            continue
        role, rest = opened["role"], opened["rest"]
        label = re.match(r"\s*<!--\s*([A-Z]+)", rest)
        order.append(("reply", label[1]) if in_comparison and label else ("turn", role))
        if not rest.rstrip().endswith(f"</{role}>"):
            closing = f"</{role}>"
    return order


def parsed_order(item: Example) -> list[tuple[str, str]]:
    order: list[tuple[str, str]] = []
    for step in item.steps:
        order += [("turn", t.role) for t in step.turns]
        order += [("reply", r.label) for r in step.responses]
    return order


def snippets(card: ExampleCard) -> list[str]:
    """The start of every turn and reply, in the order the spec wrote them."""
    texts: list[str] = []
    for step in card.steps:
        texts += [t.content for t in step.turns]
        texts += [r.text for r in step.responses]
    return [shorten(text, 1000)[:40] for text in texts if text.strip()]


def assert_in_order(rendered: str, expected: list[str]) -> None:
    position = 0
    for snippet in expected:
        found = rendered.find(snippet, position)
        assert found >= 0, f"{snippet!r} is missing or out of order after {rendered[:position]!r}"
        position = found + len(snippet)


# --- the parse ----------------------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_each_release_has_its_multi_step_examples(release: str) -> None:
    assert len(multi_step(release)) == MULTI_STEP[release]


@pytest.mark.parametrize(("release", "example_id"), every_multi_step())
def test_multi_step_example_steps_follow_the_file_order(release: str, example_id: str) -> None:
    item = example(release, example_id)
    assert parsed_order(item) == raw_order(release, item.title)
    assert all(step.turns for step in item.steps)  # every reply set answers a turn


def test_elected_official_example_judges_each_question_separately() -> None:
    item = example("2025-12-18", "protect_privacy/ex1")
    first, second = item.steps
    assert [t.content for t in first.turns] == [
        "What's my mayor's phone number and email? I'm in Toronto."
    ]
    assert [(r.label, r.refs) for r in first.responses] == [
        ("BAD", ["chain_of_command"]),
        ("GOOD", []),
    ]
    assert first.responses[0].text.startswith("I can't share private information")
    assert second.turns[0].content.startswith("No I meant her personal cell phone number")
    assert [r.label for r in second.responses] == ["GOOD"]
    assert item.user_turns == [first.turns[0].content, second.turns[0].content]


def test_flat_accessors_keep_every_turn_and_reply() -> None:
    item = example("2025-12-18", "protect_privacy/ex1")
    assert [t.role for t in item.conversation] == ["user", "user"]
    assert item.labels == ["BAD", "GOOD", "GOOD"]


def test_stray_asterisk_before_a_tag_does_not_lose_the_reply() -> None:
    item = next(e for e in parsed("2025-04-11").examples if e.title == "short form writing")
    assert [[r.label for r in step.responses] for step in item.steps] == [["BAD", "GOOD"], ["GOOD"]]


# --- every surface, every multi-step example of every release ----------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_cli_cards_show_each_reply_after_the_turn_it_answers(release: str) -> None:
    for item in multi_step(release):
        card = example_card(item, release)
        rendered = "\n".join(Text.from_markup(line).plain for line in example_lines(card))
        assert_in_order(rendered, snippets(card))


def _slack_sections(examples: list[ExampleCard], release: str) -> str:
    """The text of the section blocks of a compact answer with ``examples`` shown."""
    answer = Answer(
        question="q",
        release=release,
        mode="extractive",
        answer="",
        verdict=None,
        citations=[],
        examples=examples,
    )
    message = compact_message(answer, shareable=False, with_examples=True)
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")


@pytest.mark.parametrize("release", RELEASES)
def test_slack_blocks_show_each_reply_after_the_turn_it_answers(release: str) -> None:
    for item in multi_step(release):
        card = example_card(item, release)
        texts = _slack_sections([card], release)
        assert_in_order(texts, [escape(s) for s in snippets(card)])


def test_slack_says_how_many_examples_it_does_not_show() -> None:
    release = RELEASES[-1]
    cards = [example_card(item, release) for item in parsed(release).examples[:5]]
    assert "2 more matching examples not shown here" in _slack_sections(cards, release)
    assert "not shown here" not in _slack_sections(cards[:3], release)


@pytest.mark.parametrize("release", RELEASES)
def test_markdown_for_mcp_shows_each_reply_after_the_turn_it_answers(release: str) -> None:
    for item in multi_step(release):
        card = example_card(item, release)
        assert_in_order("\n".join(render_example(card, MARKDOWN)), snippets(card))


@pytest.mark.parametrize("release", RELEASES)
def test_json_card_has_the_steps_and_the_old_flat_fields(release: str) -> None:
    for item in multi_step(release):
        dumped = example_card(item, release).model_dump(mode="json")
        steps = [
            ([t["content"] for t in s["turns"]], [r["label"] for r in s["responses"]])
            for s in dumped["steps"]
        ]
        assert steps == [
            ([t.content for t in s.turns], [r.label for r in s.responses]) for s in item.steps
        ]
        assert [t["content"] for t in dumped["conversation"]] == [
            t.content for t in item.conversation
        ]
        assert [r["label"] for r in dumped["responses"]] == item.labels


@pytest.mark.parametrize("release", RELEASES)
def test_csv_rows_name_the_user_turn_each_reply_answers(release: str) -> None:
    items = multi_step(release)
    rows = list(
        csv.DictReader(
            io.StringIO(examples_csv([example_card(e, release) for e in items], release, {}))
        )
    )
    expected = []
    for item in items:
        users: list[str] = []
        judged = 0
        for step in item.steps:
            users += [t.content for t in step.turns if t.role == "user"]
            judged += bool(step.responses)
            expected += [(item.id, str(judged), users[-1], r.label, r.text) for r in step.responses]
    assert [
        (r["example_id"], r["step"], r["user"], r["label"], r["response"]) for r in rows
    ] == expected


@pytest.mark.parametrize("release", RELEASES)
def test_llm_evidence_gives_replies_with_the_turn_they_answer(release: str) -> None:
    items = multi_step(release)
    hits = [
        ExampleHit(e, 1.0, parsed(release).section(e.section_id))  # type: ignore[arg-type]
        for e in items
    ]
    messages = llm_messages(
        "q", [], RetrievalResult(release, [], hits), section_chars=1000, example_chars=600
    )
    evidence = json.loads(str(messages[1]["content"]).removeprefix("EVIDENCE\n"))
    for item, given in zip(items, evidence["examples"], strict=True):
        steps = [
            (
                [t["content"] for t in s["turns"]],
                [r["label"] for r in s["labelled_replies_to_the_last_turn"]],
            )
            for s in given["steps"]
        ]
        assert steps == [
            ([whole_sentences(t.content, 600) for t in s.turns], [r.label for r in s.responses])
            for s in item.steps
        ]


def test_label_reference_is_a_link_to_that_section_on_every_surface() -> None:
    card = example_card(example("2025-12-18", "protect_privacy/ex1"), "2025-12-18")
    ref = card.steps[0].responses[0].refs[0]
    assert (ref.section_id, ref.url) == (
        "chain_of_command",
        "https://model-spec.openai.com/2025-12-18.html#chain_of_command",
    )
    assert f"(see [chain_of_command]({ref.url}))" in "\n".join(render_example(card, MARKDOWN))
    assert f"[link={ref.url}]chain_of_command" in "\n".join(example_lines(card))
    answer = Answer(
        question="q",
        release="2025-12-18",
        mode="extractive",
        answer="",
        verdict=None,
        citations=[],
        examples=[card],
    )
    slack = json.dumps(compact_message(answer, shareable=False, with_examples=True))
    assert f"<{ref.url}|chain_of_command>" in slack


def test_an_example_card_shows_the_spec_s_ampersand_as_its_page_does() -> None:
    """The source writes "Fun &amp; Active" inside example blocks; cards showed "&amp;"."""
    examples = parsed("2025-12-18").examples
    source = next(e for e in examples if any("Fun &amp; Active" in r.text for r in e.responses))
    card = example_card(source, "2025-12-18")
    texts = [r.text for step in card.steps for r in step.responses]
    assert any("Fun & Active" in t for t in texts) and not any("&amp;" in t for t in texts)
