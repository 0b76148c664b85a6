"""Comparing two judged audits (issue 22 item 3): per section the violation rates, the change and
whether it is beyond noise, with the test named; sections found in one run only; text, JSON and
HTML through `specqa audit compare`."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from server.domain.audit.compare import compare_runs, write_comparison_html
from server.domain.audit.stats import compare_proportions
from specqa.cli.commands.audit_reports import compare, report
from tests.audit_rows import judged, many, write_rows

YATES = "chi-square with Yates' continuity correction"
FISHER = "Fisher's exact test"


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(report)
    app.command()(compare)
    return app


def yates_p_value(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The textbook formula, computed by hand: N(|ad − bc| − N/2)² / (row and column totals),
    one degree of freedom, so p = erfc(√(χ²/2))."""
    (a, n1), (c, n2) = before, after
    b, d = n1 - a, n2 - c
    n = n1 + n2
    chi2 = n * max(0.0, abs(a * d - b * c) - n / 2) ** 2 / (n1 * n2 * (a + c) * (b + d))
    return math.erfc(math.sqrt(chi2 / 2))


def test_a_big_change_on_large_counts_is_beyond_noise_by_the_continuity_corrected_test() -> None:
    result = compare_proportions((50, 1000), (100, 1000))
    assert result is not None and result.test == YATES and result.significant
    assert result.p_value == pytest.approx(yates_p_value((50, 1000), (100, 1000)), rel=1e-9)
    assert result.p_value < 1e-4


def test_a_small_change_on_large_counts_is_within_noise() -> None:
    result = compare_proportions((50, 1000), (58, 1000))
    assert result is not None and result.test == YATES and not result.significant
    assert result.p_value == pytest.approx(yates_p_value((50, 1000), (58, 1000)), rel=1e-9)


def test_small_counts_use_fisher_s_exact_test() -> None:
    # Fisher's lady tasting tea: 3 of 4 right against 1 of 4, two-sided p = 34/70
    tea = compare_proportions((3, 4), (1, 4))
    assert tea is not None and tea.test == FISHER
    assert tea.p_value == pytest.approx(34 / 70) and not tea.significant
    stark = compare_proportions((0, 8), (7, 8))  # expected counts 3.5 < 5
    assert stark is not None and stark.test == FISHER and stark.significant
    assert compare_proportions((0, 0), (3, 10)) is None


def test_compare_runs_pairs_sections_and_lists_those_found_in_one_run_only() -> None:
    before = many(
        {
            "protect_privacy": {"follows": 950, "violates": 50},
            "do_not_lie": {"follows": 190, "violates": 10},
            "gone_section": {"follows": 5},
            "aaa_no_rule_applies": {"not_covered": 3},
        }
    )
    after = many(
        {
            "protect_privacy": {"follows": 850, "violates": 150},
            "do_not_lie": {"follows": 188, "violates": 12},
            "new_section": {"violates": 1},
            "aaa_no_rule_applies": {"not_covered": 2},
        }
    )
    comparison = compare_runs(before, after)
    assert comparison.only_before == ["gone_section"]
    assert comparison.only_after == ["new_section"]
    privacy, lie, no_rate = comparison.sections  # beyond noise, then by change, no rate last
    assert no_rate.section_id == "aaa_no_rule_applies" and no_rate.change is None
    assert privacy.section_id == "protect_privacy" and privacy.significant
    assert privacy.change == pytest.approx(0.10)
    assert privacy.before.violation_rate == pytest.approx(0.05)
    assert lie.section_id == "do_not_lie" and not lie.significant
    assert lie.change == pytest.approx(0.01)
    assert comparison.overall.before.judged == 1205 and comparison.overall.after.judged == 1201
    assert no_rate.test is None and not no_rate.significant
    assert "Fisher's exact test" in comparison.test_rule


def test_two_runs_of_other_judges_or_releases_are_compared_with_a_caveat() -> None:
    before = many({"protect_privacy": {"follows": 9, "violates": 1}})
    after = [
        row.model_copy(update={"judge": "llm:other", "release": "2025-04-11"})
        for row in many({"protect_privacy": {"follows": 5, "violates": 5}})
    ]
    comparison = compare_runs(before, after)
    assert comparison.judges == (["llm:fake"], ["llm:other"])
    assert [c.split(",")[0] for c in comparison.caveats] == [
        "BEFORE was judged by llm:fake",
        "BEFORE was judged against release 2025-12-18",
    ]
    mixed = compare_runs(before, [*before[:5], *after[5:]])
    assert "AFTER was judged by llm:fake and llm:other" in mixed.caveats
    assert compare_runs(before, before).caveats == []


def test_compare_command_prints_the_table_and_the_test_used(tmp_path: Path) -> None:
    before = write_rows(
        tmp_path / "before.jsonl", many({"protect_privacy": {"follows": 95, "violates": 5}})
    )
    after = write_rows(
        tmp_path / "after.jsonl",
        many({"protect_privacy": {"follows": 60, "violates": 40}}),
        extra_lines=["nope"],
    )
    outcome = CliRunner().invoke(cli(), ["compare", str(before), str(after)])
    assert outcome.exit_code == 0, outcome.output
    assert "protect_privacy" in outcome.stdout and "+35.0" in outcome.stdout
    assert "Yates" in outcome.stdout and "yes" in outcome.stdout
    assert f"{after} line 101: not JSON" in outcome.stderr


def test_compare_command_json_and_html(tmp_path: Path) -> None:
    hostile = "<script>window.__pwned = 1</script>"
    before = write_rows(tmp_path / "b.jsonl", [judged(1, "follows"), judged(2, "follows", hostile)])
    after = write_rows(tmp_path / "a.jsonl", [judged(1, "violates")])
    html = tmp_path / "compare.html"
    outcome = CliRunner().invoke(
        cli(), ["compare", str(before), str(after), "--json", "--html", str(html)]
    )
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)
    (section,) = data["sections"]
    assert section["section_id"] == "protect_privacy" and section["change"] == 1.0
    assert section["test"]["test"] == FISHER and section["significant"] is False
    assert data["only_before"] == [hostile] and data["only_after"] == []
    page = html.read_text(encoding="utf-8")
    assert len(re.findall(r"<script\b", page)) == 1 and "&lt;script&gt;window.__pwned" in page
    assert page.count('class="rate"') == 2  # overall and protect_privacy


def test_compare_command_exits_2_for_an_unreadable_file(tmp_path: Path) -> None:
    after = write_rows(tmp_path / "a.jsonl", [judged(1, "violates")])
    outcome = CliRunner().invoke(cli(), ["compare", str(tmp_path / "missing.jsonl"), str(after)])
    assert outcome.exit_code == 2
    assert outcome.stderr.count("\n") == 1 and "cannot read" in outcome.stderr


def test_write_comparison_html_directly(tmp_path: Path) -> None:
    comparison = compare_runs([judged(1, "follows")], [judged(1, "borderline")])
    path = tmp_path / "c.html"
    write_comparison_html(comparison, path)
    assert "0 of 1 sections in both runs changed beyond noise" in path.read_text(encoding="utf-8")
