"""CSV files opened in spreadsheets run no formulas (issue 24 item 12): the one helper, and the two
exports written from what users sent, `specqa audit --csv` (its rows are ``csv_row``, as in
``csv_text``) and `specqa feedback export --csv`. No index needed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from server.domain.audit.bulk import AuditProblem, AuditRow, GoverningSection, csv_text
from server.domain.feedback.store import open_feedback_store
from specqa.core.spreadsheet import safe_cell, safe_row
from tests.conftest import make_settings, run_cli
from tests.helpers import plain_answer

FORMULAS = [
    '=HYPERLINK("https://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(formula: str) -> None:
    assert safe_cell(formula) == "'" + formula


@pytest.mark.parametrize("value", ["plain", "", "0.4231", "-0.0123", "+1", "1e-5", " =1", 7])
def test_text_and_numbers_are_left_as_they_are(value: object) -> None:
    assert safe_cell(value) == str(value)
    assert safe_row([None, value]) == ["", str(value)]


def test_audit_csv_writes_questions_replies_and_errors_as_text() -> None:
    governing = GoverningSection(section_id="s", title="t", authority="root", url="u")
    row = AuditRow(
        line=1,
        question=FORMULAS[0],
        reply=FORMULAS[1],
        release="2025-12-18",
        governing=[governing],
        confidence="high",
        precedent=None,
    )
    problem = AuditProblem(line=2, error=FORMULAS[3])
    rows = list(csv.DictReader(io.StringIO(csv_text([row, problem]))))
    assert (rows[0]["question"], rows[0]["reply"]) == ("'" + FORMULAS[0], "'" + FORMULAS[1])
    assert rows[0]["governing_sections"] == "s" and rows[1]["error"] == "'" + FORMULAS[3]


def test_feedback_export_writes_questions_and_comments_as_text(tmp_path: Path) -> None:
    store = open_feedback_store(make_settings(tmp_path))
    answer = plain_answer(FORMULAS[0])
    store.record_answer(answer)
    store.add(answer.id, "down", FORMULAS[3], rater="-1+1")
    store.close()
    table = tmp_path / "feedback.csv"
    done = run_cli("feedback", "export", "--csv", str(table), "--index-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    [row] = list(csv.DictReader(table.open(encoding="utf-8")))
    assert row["question"] == "'" + FORMULAS[0] and row["comment"] == "'" + FORMULAS[3]
    assert row["rater"] == "'-1+1" and row["rating"] == "down" and row["answer_id"] == answer.id
