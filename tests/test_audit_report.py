"""The report of a judged audit (issue 22 item 2): reading the judge's results file with its bad
lines, the figures per governing section and overall, the Wilson interval, the CSV (safe in a
spreadsheet), the HTML page (escaped), and `specqa audit report` through typer."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from server.domain.audit.figures import NO_SECTION, audit_figures
from server.domain.audit.report import BadLine, read_judged, write_csv, write_html
from server.domain.audit.stats import wilson_interval
from specqa.cli.commands.audit_reports import compare, report
from specqa.core.errors import InputError
from tests.audit_rows import judged, many, write_rows

XSS_REPLY = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def cli() -> typer.Typer:
    """The two commands as the `specqa audit` group will register them."""
    app = typer.Typer()
    app.command()(report)
    app.command()(compare)
    return app


# --- the Wilson interval -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("violates", "judged_count", "expected"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson, no correction)
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
        # the textbook case n = 10: 0/10 and 5/10
        (0, 10, (0.0, 0.2775)),
        (5, 10, (0.2366, 0.7634)),
    ],
)
def test_wilson_interval_matches_published_values(
    violates: int, judged_count: int, expected: tuple[float, float]
) -> None:
    interval = wilson_interval(violates, judged_count)
    assert interval is not None
    assert interval == pytest.approx(expected, abs=5e-5)


def test_wilson_interval_is_none_without_judged_conversations() -> None:
    assert wilson_interval(0, 0) is None


# --- the figures -------------------------------------------------------------------------------


def test_figures_count_each_verdict_per_governing_section_and_keep_not_covered_and_unjudged_out_of_the_rate() -> (
    None
):
    rows = many(
        {
            "protect_privacy": {"follows": 6, "violates": 3, "borderline": 1, "not_covered": 2},
            "do_not_lie": {"follows": 4, "unjudged": 1},
        }
    )
    rows.append(judged(100, "unjudged", None, reason="line 100: not JSON"))
    figures = audit_figures(rows)
    by_id = {f.section_id: f for f in figures.sections}
    privacy = by_id["protect_privacy"]
    assert (privacy.conversations, privacy.follows, privacy.violates) == (12, 6, 3)
    assert (privacy.borderline, privacy.not_covered, privacy.unjudged) == (1, 2, 0)
    assert privacy.judged == 10 and privacy.violation_rate == pytest.approx(0.3)
    assert privacy.interval == pytest.approx(wilson_interval(3, 10))
    assert privacy.title == "Title of protect_privacy"
    lie = by_id["do_not_lie"]  # the second of a row's sections never counts: only the first
    assert (lie.conversations, lie.follows, lie.unjudged, lie.violation_rate) == (5, 4, 1, 0.0)
    nowhere = by_id[NO_SECTION]
    assert (nowhere.conversations, nowhere.unjudged, nowhere.violation_rate) == (1, 1, None)
    assert nowhere.interval is None
    overall = figures.overall
    assert (overall.conversations, overall.judged, overall.violates, overall.unjudged) == (
        18,
        14,
        3,
        2,
    )
    assert overall.violation_rate == pytest.approx(3 / 14)
    assert [f.section_id for f in figures.sections] == ["protect_privacy", "do_not_lie", NO_SECTION]
    assert figures.judges == ["llm:fake"] and figures.releases == ["2025-12-18"]


# --- reading the results file ------------------------------------------------------------------


def test_read_judged_reports_each_bad_line_by_number_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    good = [judged(1, "follows"), judged(2, "violates")]
    text = "".join(row.model_dump_json() + "\n" for row in good)
    text += "\n"  # line 3: blank, skipped silently
    text += "not json\n"  # line 4
    text += json.dumps({"line": "x", "verdict": "follows"}) + "\n"  # line 5: wrong schema
    text += json.dumps({**good[0].model_dump(), "verdict": "maybe"}) + "\n"  # line 6
    text += good[1].model_dump_json() + "\n"  # line 7: input line 2 again
    path.write_bytes(
        text.encode() + b"\xff\xfe\n" + judged(3, "borderline").model_dump_json().encode()
    )
    bad: list[BadLine] = []
    rows = read_judged(path, bad.append)
    assert [row.line for row in rows] == [1, 2, 3]
    assert [b.number for b in bad] == [4, 5, 6, 7, 8]
    problems = [b.problem for b in bad]
    assert problems[0].startswith("not JSON")
    assert problems[1].startswith("not a judged row (line:") and "reason" not in problems[1]
    assert problems[2].startswith("not a judged row (verdict:")
    assert problems[3] == "repeats input line 2 (already on line 2)"
    assert problems[4] == "not UTF-8 text"


def test_read_judged_refuses_a_missing_file_and_a_file_without_one_row(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_judged(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="cannot read"):
        read_judged(tmp_path)
    not_results = tmp_path / "conversations.jsonl"
    not_results.write_text('{"messages": []}\n{"messages": []}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"no judged rows in it \(2 bad lines\)"):
        read_judged(not_results, lambda bad: None)


def test_an_empty_results_file_is_refused_not_an_empty_report(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no judged rows in it; is it audit results\?"):
        read_judged(write_rows(tmp_path / "empty.jsonl", []))


# --- CSV and HTML -------------------------------------------------------------------------------


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path: Path) -> None:
    rows = [
        judged(1, "violates", '=HYPERLINK("http://evil","x")'),
        judged(2, "follows", "@SUM(A1)", section_titles={"@SUM(A1)": "+cmd|' /C calc'!A0"}),
    ]
    path = tmp_path / "figures.csv"
    write_csv(audit_figures(rows), path)
    with path.open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    cells = {row["section_id"]: row for row in table}
    assert set(cells) == {'\'=HYPERLINK("http://evil","x")', "'@SUM(A1)", "all sections"}
    assert cells["'@SUM(A1)"]["title"] == "'+cmd|' /C calc'!A0"
    overall = cells["all sections"]
    assert (overall["conversations"], overall["violates"], overall["judged"]) == ("2", "1", "2")
    assert float(overall["violation_rate"]) == 0.5
    assert float(overall["interval_low"]) == pytest.approx(wilson_interval(1, 2)[0])  # type: ignore[index]


def test_html_report_escapes_replies_reasons_and_section_ids(tmp_path: Path) -> None:
    hostile_section = '"><script>window.__pwned = 3</script>'
    rows = [
        judged(1, "violates", reply=XSS_REPLY, reason="It said <b>bold</b> & more."),
        judged(2, "follows", hostile_section, question="</textarea><script>alert(1)</script>"),
    ]
    path = tmp_path / "report.html"
    write_html(rows, path)
    page = path.read_text(encoding="utf-8")
    assert len(re.findall(r"<script\b", page, re.IGNORECASE)) == 1  # the page's own, at the end
    assert "<img src=x" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "It said &lt;b&gt;bold&lt;/b&gt; &amp; more." in page
    assert 'data-section="&quot;&gt;&lt;script&gt;' in page
    assert 'id="line-1"' in page and 'href="#line-2"' in page
    assert "default-src 'none'" in page and "http://" not in page.replace("http://www.w3.org", "")


# --- `specqa audit report` ------------------------------------------------------------------------


def test_report_command_prints_the_table_and_writes_csv_and_html(tmp_path: Path) -> None:
    results = write_rows(
        tmp_path / "results.jsonl",
        many({"protect_privacy": {"follows": 3, "violates": 1}}),
        extra_lines=["{broken"],
    )
    csv_out, html = tmp_path / "figures.csv", tmp_path / "report.html"
    outcome = CliRunner().invoke(
        cli(), ["report", str(results), "--csv", str(csv_out), "--html", str(html)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "protect_privacy" in outcome.stdout and "25.0%" in outcome.stdout
    assert f"{results} line 5: not JSON" in outcome.stderr
    assert csv_out.read_text(encoding="utf-8").startswith("section_id,title,conversations")
    assert 'id="line-4"' in html.read_text(encoding="utf-8")


def test_report_command_json_has_the_figures_and_nothing_else_on_stdout(tmp_path: Path) -> None:
    results = write_rows(tmp_path / "r.jsonl", many({"do_not_lie": {"violates": 2, "follows": 2}}))
    outcome = CliRunner().invoke(cli(), ["report", str(results), "--json"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)
    assert data["overall"]["violation_rate"] == 0.5
    assert data["sections"][0]["section_id"] == "do_not_lie"
    assert data["sections"][0]["interval"] == pytest.approx(list(wilson_interval(2, 4) or ()))


def test_report_command_exits_2_with_one_line_for_an_unreadable_file(tmp_path: Path) -> None:
    for path, message in (
        (tmp_path / "missing.jsonl", "cannot read"),
        (write_rows(tmp_path / "text.jsonl", [], ["just some text", "more text"]), "no judged"),
    ):
        outcome = CliRunner().invoke(cli(), ["report", str(path)])
        assert outcome.exit_code == 2
        last = outcome.stderr.strip().splitlines()[-1]
        assert last.startswith("specqa: error: ") and message in last, outcome.stderr


def test_report_called_directly_prints_json_and_fails_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = write_rows(tmp_path / "r.jsonl", [judged(1, "borderline")])
    report(results, as_json=True, csv_out=None, html=None)
    assert json.loads(capsys.readouterr().out)["overall"]["borderline"] == 1
    with pytest.raises(typer.Exit) as exited:
        report(tmp_path / "nope.jsonl", as_json=False, csv_out=None, html=None)
    assert exited.value.exit_code == 2
    assert capsys.readouterr().err.count("\n") == 1
