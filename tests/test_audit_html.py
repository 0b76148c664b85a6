"""The audit's HTML pages in a real headless Chromium (issue 22 target): the report opened from a
file:// URL renders, has its chart (one SVG group per section), sorts its table on a click, links
every conversation at #line-N, runs no script from the audited replies, and makes no network
request at all (nothing in the resource timing, and a loopback canary that is never reached, even
by a fetch tried from the page: the page's own policy blocks it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By

from server.domain.audit.compare import compare_runs, write_comparison_html
from server.domain.audit.judged import JudgedRow
from server.domain.audit.report import write_html
from tests.audit_rows import judged, many
from tests.browser import browser_log, click, console_errors, screenshot, until

pytestmark = pytest.mark.timeout(300)

RATE_COLUMN = 8  # "violation rate" in the figures table


class Canary:
    """A loopback HTTP server that counts the requests it gets (the page must send none)."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.hits = hits
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    server = Canary()
    yield server
    server.close()


def audited_rows(canary: Canary) -> list[JudgedRow]:
    rows = many(
        {
            "protect_privacy": {"follows": 6, "violates": 4},
            "do_not_lie": {"follows": 9, "violates": 1},
            "avoid_errors": {"follows": 3, "borderline": 1, "not_covered": 1},
        }
    )
    hostile = (
        f'<img src="{canary.url}/img" onerror="window.__pwned=1">'
        f"<script>window.__pwned=2; fetch('{canary.url}/script')</script>"
    )
    rows.append(judged(len(rows) + 1, "violates", "protect_privacy", reply=hostile))
    rows.append(judged(len(rows) + 1, "unjudged", None, reason="not JSON"))
    return rows


@pytest.fixture(scope="module")
def report_url(tmp_path_factory: pytest.TempPathFactory, canary: Canary) -> str:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_html(audited_rows(canary), path)
    return path.as_uri()


@pytest.fixture
def report(driver: WebDriver, report_url: str) -> WebDriver:
    driver.get("about:blank")
    browser_log(driver)  # start with an empty console
    driver.get(report_url)
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "table.sortable"), "the table")
    return driver


def table_column(driver: WebDriver, index: int, attribute: str = "sort") -> list[str]:
    values: list[str] = driver.execute_script(
        "return [...document.querySelectorAll('#figures tbody tr')]"
        ".map(r => r.cells[arguments[0]].dataset[arguments[1]] ?? r.cells[arguments[0]].textContent)",
        index,
        attribute,
    )
    return values


def test_the_report_renders_its_chart_with_one_group_per_section(report: WebDriver) -> None:
    assert report.find_element(By.TAG_NAME, "h1").text == "specqa audit report"
    sections = table_column(report, 0, "none")
    assert sorted(sections) == sorted(
        ["protect_privacy", "do_not_lie", "avoid_errors", "(no section)"]
    )
    groups = report.find_elements(By.CSS_SELECTOR, "svg.chart g.rate")
    assert [g.get_attribute("data-section") for g in groups] == ["all sections", *sections]
    privacy = report.find_element(
        By.CSS_SELECTOR, 'svg.chart g.rate[data-section="protect_privacy"]'
    )
    assert privacy.find_elements(By.CSS_SELECTOR, "rect.bar") and privacy.find_elements(
        By.CSS_SELECTOR, "circle.dot"
    )
    assert len(privacy.find_elements(By.CSS_SELECTOR, "line.whisker")) == 3
    size = report.execute_script(
        "const r = document.querySelector('svg.chart').getBoundingClientRect(); return [r.width, r.height]"
    )
    assert size[0] > 300 and size[1] > 80
    assert console_errors(report) == []
    screenshot(report, "audit-report.png", full_page=True)


def test_clicking_a_header_sorts_the_table(report: WebDriver) -> None:
    header = report.find_elements(By.CSS_SELECTOR, "#figures thead th")[RATE_COLUMN]
    assert header.text.startswith("violation rate")
    click(report, header)
    rates = table_column(report, RATE_COLUMN)
    assert header.get_attribute("aria-sort") == "ascending"
    numbers = [float(r) for r in rates if r]
    assert numbers == sorted(numbers) and rates[-1] == ""  # no rate: last
    assert table_column(report, 0, "none")[0] == "avoid_errors"
    click(report, header)
    rates = table_column(report, RATE_COLUMN)
    assert header.get_attribute("aria-sort") == "descending"
    assert [float(r) for r in rates if r] == sorted(numbers, reverse=True)
    click(report, report.find_elements(By.CSS_SELECTOR, "#figures thead th")[0])
    names = table_column(report, 0, "none")
    assert names == sorted(names)


def test_every_conversation_is_linkable_by_its_line_number(
    report: WebDriver, report_url: str
) -> None:
    ids = report.execute_script(
        "return [...document.querySelectorAll('article.conv')].map(a => a.id)"
    )
    assert ids == [f"line-{n}" for n in range(1, 28)]
    report.get(f"{report_url}#line-8")
    target = report.execute_script("return document.querySelector(':target')?.id")
    assert target == "line-8"
    article = report.find_element(By.ID, "line-8")
    assert "violates" in article.text and "Protect people's privacy." in article.text
    assert article.find_element(By.CSS_SELECTOR, "a").get_attribute("href").endswith("#line-8")


def test_the_report_runs_no_audited_script_and_makes_no_network_request(
    report: WebDriver, canary: Canary
) -> None:
    assert report.execute_script("return window.__pwned") is None
    hostile = report.find_element(By.ID, "line-26")
    assert "<script>window.__pwned=2" in hostile.text and not hostile.find_elements(
        By.TAG_NAME, "img"
    )
    resources = report.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources == []
    outcome = report.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(() => done('fetched'), e => done('blocked: ' + e.name));",
        f"{canary.url}/fetch",
    )
    assert outcome == "blocked: TypeError"
    assert canary.hits == []


def test_the_comparison_page_renders_sorts_and_stays_offline(
    driver: WebDriver, tmp_path: Path, canary: Canary
) -> None:
    before = many(
        {"protect_privacy": {"follows": 95, "violates": 5}, "do_not_lie": {"follows": 10}}
    )
    after = many(
        {
            "protect_privacy": {"follows": 60, "violates": 40},
            "do_not_lie": {"follows": 9, "violates": 1},
        }
    )
    path = tmp_path / "compare.html"
    write_comparison_html(compare_runs(before, after), path)
    driver.get("about:blank")
    browser_log(driver)  # start with an empty console
    driver.get(path.as_uri())
    groups = driver.find_elements(By.CSS_SELECTOR, "svg.chart g.rate")
    assert [g.get_attribute("data-section") for g in groups] == [
        "all sections",
        "protect_privacy",
        "do_not_lie",
    ]
    assert (
        len(groups[1].find_elements(By.CSS_SELECTOR, "g.before circle.dot, g.after circle.dot"))
        == 2
    )
    first = driver.find_element(By.CSS_SELECTOR, "table.sortable tbody tr")
    assert first.text.split()[0] == "protect_privacy" and first.text.endswith("yes")
    click(driver, driver.find_element(By.CSS_SELECTOR, "table.sortable thead th"))
    assert driver.find_element(By.CSS_SELECTOR, "table.sortable tbody tr").text.startswith(
        "do_not_lie"
    )
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert console_errors(driver) == [] and canary.hits == []
