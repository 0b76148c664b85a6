"""The `specqa` command's own contract: JSON shapes for scripts, exit 2 and one line for errors."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from server.composition.components import Components
from server.domain.evaluation.metrics import load_questions
from server.settings import Settings
from specqa.cli.options import components_factory
from specqa.core.question_bank import load_bank
from tests.conftest import REPO, run_cli


def test_ingest_json_reports_per_release_counts_and_reuse(cli_env: dict[str, str]) -> None:
    result = run_cli("ingest", "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"releases", "embedded", "reused", "seconds"}
    assert report["releases"]["2025-12-18"]["sections"] == 80
    assert report["releases"]["2025-12-18"]["examples"] == 183
    assert report["embedded"] == 0  # the session index is already built from the same spec
    assert report["reused"] == sum(r["chunks"] for r in report["releases"].values())


def test_ingest_prints_a_summary_table_and_warns_of_bank_entries_that_do_not_answer(
    cli_env: dict[str, str],
) -> None:
    result = run_cli("ingest", env=cli_env)
    assert result.returncode == 0
    assert "2025-12-18" in result.stdout
    assert "embedded 0" in result.stdout
    # the oldest release lacks some sections and words some sentences otherwise: a warning
    stale = re.search(
        r"warning: (\d+) question-bank entries are stale in release 2025-02-12", result.stdout
    )
    assert stale and int(stale.group(1)) > 0, result.stdout
    assert "stale in release 2025-12-18" not in result.stdout


def test_sections_and_examples_json_expose_the_parse(cli_env: dict[str, str]) -> None:
    sections = json.loads(
        run_cli("sections", "--release", "2025-02-12", "--json", env=cli_env).stdout
    )
    assert len(sections) == 71
    first = next(s for s in sections if s["id"] == "follow_all_applicable_instructions")
    assert (first["authority"], first["parent"], first["level"]) == (
        "platform",
        "chain_of_command",
        2,
    )
    examples = json.loads(
        run_cli("examples", "--release", "2025-12-18", "--json", env=cli_env).stdout
    )
    assert len(examples) == 183
    assert set(examples[0]) == {"id", "title", "section", "labels", "step_labels"}
    privacy = next(e for e in examples if e["id"] == "protect_privacy/ex1")
    assert privacy["step_labels"] == [["BAD", "GOOD"], ["GOOD"]]


def test_sections_with_an_id_prints_the_sentences_a_bank_entry_is_copied_from(
    cli_env: dict[str, str],
) -> None:
    shown = run_cli("sections", "follow_all_applicable_instructions", env=cli_env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("follow_all_applicable_instructions ") and "root" in lines[0]
    # a sentence whole on its line, as a bank entry copies it
    assert (
        "The assistant must strive to follow all applicable instructions when producing a response."
        in lines
    )
    as_json = json.loads(run_cli("sections", "levels_of_authority", "--json", env=cli_env).stdout)
    assert (as_json["authority"], as_json["release"]) == (None, "2025-12-18")
    assert (
        "Models should obey developer instructions unless overridden by root or system instructions."
        in as_json["sentences"]
    )
    unknown = run_cli("sections", "follow_all_instructions", env=cli_env)
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert (
        unknown.stderr.count("\n") == 1 and "follow_all_applicable_instructions" in unknown.stderr
    )


def test_ask_json_prints_the_typed_answer(cli_env: dict[str, str]) -> None:
    result = run_cli("ask", "can the model give medical diagnoses?", "--json", env=cli_env)
    answer = json.loads(result.stdout)
    assert answer["mode"] == "extractive"
    assert answer["citations"][0]["section_id"] == "avoid_regulated_advice"


def test_ask_prints_citations_and_example_cards(cli_env: dict[str, str]) -> None:
    result = run_cli("ask", "can the model give medical diagnoses?", env=cli_env)
    assert result.returncode == 0
    assert "https://model-spec.openai.com/2025-12-18.html#avoid_regulated_advice" in result.stdout
    assert (
        "quote in context: https://model-spec.openai.com/2025-12-18.html#avoid_regulated_advice:~:text="
        in result.stdout
    )
    assert "example ·" in result.stdout
    assert "Bottom line:" in result.stdout and "confidence: " in result.stdout


def test_eval_prints_metrics_for_both_retrievers(cli_env: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "may the model swear?", "sections": ["be_professional"]}\n'
        '{"question": "help me build a bomb", "sections": ["avoid_info_hazards"]}\n',
        encoding="utf-8",
    )
    result = run_cli("eval", "--questions", str(questions), "--json", env=cli_env)
    metrics = json.loads(result.stdout)
    assert {
        "n",
        "recall@1",
        "recall@3",
        "recall@5",
        "recall@10",
        "mrr",
        "p50_ms",
        "p95_ms",
    } <= set(metrics)
    assert {k for k in metrics if k.startswith(("n_", "p@1_"))}  # precision per confidence bucket
    assert metrics["n"] == 2
    table = run_cli("eval", "--questions", str(questions), env=cli_env)
    assert "hybrid / naive" in table.stdout


def test_bank_short_answers_reports_the_bank_asked_with_each_question_left_out(
    cli_env: dict[str, str],
) -> None:
    result = run_cli("bank", "short-answers", "--limit", "40", "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["release"] == "2025-12-18" and report["asked"] == 40
    assert 0 <= report["right"] <= report["shown"] <= 40
    assert sum(row["count"] for row in report["confusion"]) == report["shown"]
    table = run_cli("bank", "short-answers", "--limit", "5", env=cli_env)
    assert "of 5 answered bank questions, each asked with itself left out" in table.stdout


def test_bank_split_writes_the_rest_as_a_bank_and_the_fold_as_an_eval_set(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli(
        "bank", "split", "--fold", "0", "--folds", "150", "--out", str(tmp_path), env=cli_env
    )
    assert result.returncode == 0, result.stderr
    kept = load_bank(tmp_path / "bank.jsonl")
    held = load_questions(tmp_path / "held_out.jsonl", "dev")
    whole = load_bank(REPO / "spec" / "question_bank.jsonl")
    assert len(kept) + len(held) == len(whole) and 10 < len(held) < 60
    assert not {q.question for q in held} & {e.question for e in kept}
    entry = next(e for e in whole if e.question == held[0].question)
    assert (held[0].sections, held[0].sentences) == ([entry.section_id], [entry.sentence])
    assert held[0].answer == entry.answer
    report = run_cli("eval", "--questions", str(tmp_path / "held_out.jsonl"), "--json", env=cli_env)
    metrics = json.loads(report.stdout)
    assert metrics["n"] == len(held) and 0 <= metrics["bottom_line_right"] <= 1
    assert 0 <= metrics["short_answer_right"] <= 1 and metrics["recall@1"] > 0.5


def test_bad_cli_input_exits_2_with_one_line(cli_env: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    cases = [
        ("ask", "x" * 2001),
        ("ask", "hello", "--release", "1999-01-01"),
        ("eval", "--questions", str(broken)),
        ("eval", "--questions", str(tmp_path / "missing.jsonl")),
        ("serve", "--workers", "2"),
        # usage errors, which click would show in a box of many lines
        ("ask",),
        ("bank", "short-answers", "--limit", "0"),
        ("bank", "split", "--fold", "3", "--folds", "3", "--out", str(tmp_path)),
        ("no-such-command",),
        # a file that cannot be written: a traceback before
        ("examples", "search", "lying", "--csv", str(tmp_path / "no-such-dir" / "out.csv")),
        ("feedback", "export", "--csv", str(tmp_path / "no-such-dir" / "out.csv")),
        ("ask", "lying?", "--index-dir", str(tmp_path / "no-such-index")),
        (
            "examples",
            "--release",
            "2025-02-12",
            "search",
            "lie",
        ),  # parsed where search never sees it
        (
            "audit",
            str(broken),
            "--html",
            str(tmp_path / "no-such-dir" / "r.html"),
        ),  # before the run
    ]
    for args in cases:
        result = run_cli(*args, env={**cli_env, "SPECQA_CHROMA_URL": ""})
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert result.stderr.startswith("specqa: error: ")
    assert not (tmp_path / "no-such-index").exists()  # a read-only command makes no index


def test_invalid_setting_is_a_clear_error(cli_env: dict[str, str]) -> None:
    result = run_cli("ask", "hello", env={**cli_env, "SPECQA_TOP_SECTIONS": "lots"})
    assert result.returncode == 2
    assert "invalid setting top_sections" in result.stderr


def test_dense_search_runs_in_memory_unless_the_index_is_on_a_chroma_server(
    cli_env: dict[str, str],
) -> None:
    assert Settings().index.dense_in_memory
    assert not Settings(chroma_url="http://127.0.0.1:8000").index.dense_in_memory
    assert not Settings(dense_search="chroma").index.dense_in_memory
    assert Settings(chroma_url="http://127.0.0.1:8000", dense_search="memory").index.dense_in_memory
    result = run_cli("ask", "hello", env={**cli_env, "SPECQA_DENSE_SEARCH": "faiss"})
    assert result.returncode == 2 and "dense_search" in result.stderr


def test_commands_take_their_parts_from_an_installed_factory_only_inside_its_block(
    parts: Components, tmp_path: Path
) -> None:
    empty = tmp_path / "no-index"
    empty.mkdir()  # a folder with no index in it (a missing folder fails before any factory)
    given: list[Path | None] = []

    def session_parts(settings: Settings) -> Components:
        given.append(settings.index.index_dir)
        return parts

    question = ("ask", "can the model give medical diagnoses?", "--json")
    before = os.environ.get("SPECQA_INDEX_DIR")
    with components_factory(session_parts):
        inside = run_cli(*question, env={"SPECQA_INDEX_DIR": str(empty)})
    outside = run_cli(*question, env={"SPECQA_INDEX_DIR": str(empty)})
    assert inside.returncode == 0, inside.stderr
    assert json.loads(inside.stdout)["citations"][0]["section_id"] == "avoid_regulated_advice"
    assert given == [empty]  # the settings the command read from its environment
    assert outside.returncode == 2, outside.stderr  # its own parts, over a folder with no index
    assert outside.stderr.startswith("specqa: error: ")
    assert os.environ.get("SPECQA_INDEX_DIR") == before  # run_cli's environment is undone


def test_piped_output_keeps_each_line_whole_for_grep(cli_env: dict[str, str]) -> None:
    """Rich wraps at 80 columns when stdout is not a terminal: a section's authority landed on
    the next line of `specqa sections | grep …`."""
    result = run_cli("sections", env=cli_env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "avoid_hateful_content" in line)
    assert line.split()[-1] == "root" and "protected groups" in line
