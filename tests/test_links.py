"""Links that work everywhere: SPECQA_PUBLIC_BASE_URL makes them absolute, and they lead to a
readable, escaped diff page served with the same security headers as the web page; `latest` and
did-you-mean over REST and the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from server.composition.components import Components
from server.web.page import CONTENT_SECURITY_POLICY
from specqa.cli.commands.query import terminal_links
from tests.conftest import make_settings, run_cli
from tests.helpers import app_client

PUBLIC = "https://specqa.example.com"


@pytest.fixture(scope="module")
def public(built: tuple, parts: Components) -> Iterator[httpx.Client]:  # type: ignore[type-arg]
    settings = make_settings(built[0].index.index_dir, public_base_url=PUBLIC + "/")
    with app_client(settings, parts) as client:
        yield client


def test_public_base_url_makes_every_diff_link_absolute(public: httpx.Client) -> None:
    change = public.post(
        "/v1/answer",
        json={"question": "What changed about honesty in the December 2025 release?"},
    ).json()
    links = re.findall(r"\]\(([^)]+)\)", change["answer"])
    own = [link for link in links if "/diff?" in link]
    assert own and all(link.startswith(f"{PUBLIC}/diff?") for link in own)
    assert f"{PUBLIC}/diff?from=2025-10-27&to=2025-12-18&section=do_not_lie" in own
    old = public.post(
        "/v1/answer",
        json={
            "question": "may the model tell a white lie to spare someone's feelings?",
            "release": "2025-04-11",
        },
    ).json()
    assert (
        f"({PUBLIC}/diff?from=2025-04-11&to=2025-12-18&section=do_not_lie)" in old["release_note"]
    )


def test_diff_page_shows_removed_and_added_words_side_by_side(public: httpx.Client) -> None:
    page = public.get(
        "/diff",
        params={"from": "2025-09-12", "to": "2025-10-27", "section": "do_not_lie"},
    )
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    html = page.text
    assert '<table class="side-by-side">' in html
    assert "<ins>a </ins>" in html or "<ins>a</ins>" in html  # "in {+a+} way"
    assert not re.search(r"<script|\sstyle\s*=|\son[a-z]+\s*=", html)
    whole = public.get("/diff", params={"from": "2025-09-12", "to": "latest"})
    text = whole.text
    assert text.index("Added sections") < text.index("Rules whose wording changed")
    assert text.index("Rules whose wording changed") < text.index("Trivial edits")
    assert "<del>" in text and "<ins>" in text


def test_diff_page_shows_an_examples_replies_struck_and_highlighted(public: httpx.Client) -> None:
    page = public.get(
        "/diff",
        params={"from": "2025-04-11", "to": "2025-09-12", "section": "protect_privacy"},
    )
    html = page.text
    assert '<ul class="replies">' in html
    assert "GOOD reply removed: <del>I can&#x27;t help with finding personal contact" in html
    assert "GOOD reply added: <ins>I’m sorry, but I can&#x27;t provide personal phone" in html


def test_diff_page_tells_a_browser_of_an_unknown_release_in_a_page_with_its_pickers(
    public: httpx.Client,
) -> None:
    page = public.get(
        "/diff", params={"from": "2024-01-01", "to": "2025-12-18"}, headers={"accept": "text/html"}
    )
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "unknown release" in page.text and '<form class="pickers"' in page.text


def test_diff_page_names_a_title_change_under_its_id_not_a_rename_to_itself(
    public: httpx.Client,
) -> None:
    html = public.get("/diff", params={"from": "2025-09-12", "to": "2025-10-27"}).text
    assert (
        "<code>do_not_encourage_self_harm</code> → <code>do_not_encourage_self_harm</code>"
        not in html
    )
    assert "<code>do_not_encourage_self_harm</code>, title: “" in html


def test_diff_page_escapes_what_it_shows_and_refuses_unknown_releases(public: httpx.Client) -> None:
    bad = public.get("/diff", params={"from": "<script>x", "to": "2025-12-18"})
    assert bad.status_code == 404
    assert "<script>" not in bad.headers.get("content-type", "")
    assert bad.json()["error"]["type"] == "UnknownReleaseError"
    section = public.get(
        "/diff",
        params={"from": "2025-10-27", "to": "2025-12-18", "section": "do_not_lei"},
    )
    assert section.status_code == 404
    assert "did you mean 'do_not_lie'" in section.json()["error"]["message"]


@pytest.mark.parametrize("typed", ["DO_NOT_LIE", "do-not-lie", "Do not lie"])
def test_a_section_id_typed_in_another_case_or_with_spaces_is_suggested(
    public: httpx.Client, typed: str
) -> None:
    wrong = public.get(f"/v1/sections/{typed}")
    assert wrong.status_code == 404
    assert "did you mean 'do_not_lie'" in wrong.json()["error"]["message"]


def test_latest_is_accepted_over_rest(public: httpx.Client) -> None:
    section = public.get("/v1/sections/do_not_lie", params={"release": "latest"})
    assert section.json()["release"] == "2025-12-18"
    diff = public.get("/v1/diff", params={"from": "2025-10-27", "to": "latest"}).json()
    assert diff["to"] == "2025-12-18"
    wrong = public.get("/v1/sections/do_not_lie", params={"release": "2025-12-1"})
    assert wrong.status_code == 404
    assert "did you mean '2025-12-18'" in wrong.json()["error"]["message"]


def test_the_cli_writes_a_link_to_the_diff_page_as_the_command_that_prints_that_diff(
    cli_env: dict[str, str],
) -> None:
    """A change answer ended with "• diff", a relative link a terminal cannot open."""
    assert terminal_links(
        "see [diff](/diff?from=2025-10-27&to=2025-12-18&section=do_not_lie)."
    ) == ("see diff: `specqa diff 2025-10-27 2025-12-18 --section do_not_lie`.")
    absolute = "[diff](https://specqa.example/diff?from=a&to=b)"
    assert terminal_links(absolute) == absolute  # a public base URL opens anywhere
    asked = run_cli("ask", "what changed in do_not_lie in the December release?", env=cli_env)
    assert asked.returncode == 0, asked.stderr
    assert "specqa diff 2025-10-27 2025-12-18 --section do_not_lie" in " ".join(
        asked.stdout.split()
    )
    assert "/diff?" not in asked.stdout


def test_cli_diff_prints_a_word_diff_and_json_adds_the_sentences(cli_env: dict[str, str]) -> None:
    plain = run_cli("diff", "2025-09-12", "latest", "--section", "do_not_lie", env=cli_env)
    assert plain.returncode == 0, plain.stderr
    assert "Model Spec 2025-09-12 -> 2025-12-18 (section do_not_lie)" in plain.stdout
    assert "{+" in plain.stdout or "[-" in plain.stdout
    assert "\x1b[" not in plain.stdout  # no colour codes when not a terminal
    import json

    data = json.loads(run_cli("diff", "2025-09-12", "2025-10-27", "--json", env=cli_env).stdout)
    assert data["added"] == ["respect_real_world_ties"]
    change = next(c for c in data["changes"] if c["section_id"] == "do_not_lie")
    assert change["significance"] == "trivial"
    assert change["sentences"][0]["marked"].count("{+a+}") == 1
    swapped = run_cli("diff", "latest", "2025-09-12", "--section", "do_not_lie", env=cli_env)
    assert "Backwards: 2025-12-18 is the newer release" in swapped.stdout


def test_cli_did_you_mean_for_releases_and_sections(cli_env: dict[str, str]) -> None:
    release = run_cli("diff", "2025-10-27", "2025-12-1", env=cli_env)
    assert release.returncode == 2
    assert "did you mean '2025-12-18'" in release.stderr
    section = run_cli("history", "do_not_lei", env=cli_env)
    assert section.returncode == 2
    assert "did you mean 'do_not_lie'" in section.stderr
    assert len(section.stderr.strip().splitlines()) == 1


def test_cli_word_diff_is_coloured_in_a_terminal(cli_env: dict[str, str]) -> None:
    coloured = run_cli(
        "diff",
        "2025-09-12",
        "2025-10-27",
        "--section",
        "do_not_lie",
        env={**cli_env, "FORCE_COLOR": "1"},
        subprocess=True,  # rich decides on colour when its console is made: a new process
    )
    assert coloured.returncode == 0, coloured.stderr
    assert "\x1b[" in coloured.stdout and "{+a+}" in coloured.stdout
