"""The LLM-reply filter on its own (no index, no server): every surface shows what it lets out.

Split and nested tags (issue 24 item 1) must not come out as HTML, whole or streamed in any
chunking; bare URLs to other sites must not come out linkable; and a fuzzer of nested and split
tags, links, code and URLs checks both against a CommonMark renderer with HTML switched on.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from server.domain.answering.llm import LLMAnswerer, ReplyFilter, check_reply
from server.slack.blocks import markdown_to_mrkdwn
from tests.conftest import make_settings
from tests.helpers import fake_llm_settings

PRIVACY = "protect_privileged_information"
URLS = {PRIVACY: f"https://model-spec.openai.com/2025-12-18.html#{PRIVACY}"}
SERVER = "specqa.example.com"
HOSTS = ("model-spec.openai.com", SERVER)
SPLIT_TAGS = [
    "<<b>img src=x onerror=alert(1)>",
    '<<i>a href="javascript:alert(1)">x<</i>/a>',
    "<<b>script>alert(1)<</b>/script>",
    "<<<b>b>img src=x onerror=alert(1)>",  # nested twice
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "\\<img src=x onerror=alert(1)>",  # an escaped < is not an escape to every renderer
    "<img src=x onerror=alert(1) " + "x" * 600 + ">",  # longer than a tag the filter drops
    "`a`[made_up]`<img src=x onerror=alert(1)>`",  # a removed citation joins two code spans
]
MARKDOWN_TAGS = {"p", "a", "code", "em", "strong", "pre", "ul", "ol", "li", "hr", "br"}
MARKDOWN_TAGS |= {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
LINKABLE = re.compile(r"(?i)(?:https?|ftp)://|www\.")
TAG_PIECES = ["<", ">", "<b>", "</b>", "<i>", "</i>", "<script>", "</script>", "<!--", "-->"]
TAG_WORDS = ["<?", "?>", "/a", "script", "img src=x onerror=alert(1)", 'a href="javascript:x"']
MARKS = ["x", " ", "\n", "\n\n", "`", "``", "\\", "!", "[", "]", "(", ")", ":", ".", "/", "//"]
LINKS = [f"[{PRIVACY}]", "[made_up]", "](javascript:alert(1))", f"](#{PRIVACY})", "&lt;", '"']
URL_PIECES = ["https://", "http://", "www.", "evil.example", "model-spec.openai.com", SERVER]
FRAGMENTS = [*TAG_PIECES, *TAG_WORDS, *MARKS, *LINKS, *URL_PIECES, "/login", "@"]


def whole(reply: str) -> str:
    return check_reply(reply, {PRIVACY}, URLS, 100_000, HOSTS).text


def streamed(reply: str, cuts: list[int]) -> str:
    bounds = [0, *sorted(set(cuts)), len(reply)]
    pieces = [reply[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    return "".join(ReplyFilter({PRIVACY}, URLS, 100_000, HOSTS).run(pieces))


def assert_no_html(markdown: str) -> None:
    """No ``<`` or ``>`` at all; rendered by CommonMark with HTML on, markdown's own tags only,
    and links only to the spec."""
    assert "<" not in markdown and ">" not in markdown, markdown
    html = MarkdownIt("commonmark", {"html": True}).render(markdown)
    for name, attributes in re.findall(r"</?([A-Za-z][A-Za-z0-9]*)([^>]*?)\s*/?>", html):
        assert name.lower() in MARKDOWN_TAGS, (name, html)
        assert not attributes or re.fullmatch(
            r' href="https://model-spec\.openai\.com/[^"]*"| class="language-[^"]*"', attributes
        ), html


def assert_no_foreign_url(text: str) -> None:
    """Every URL a chat client would link leads to the spec or this server."""
    for match in LINKABLE.finditer(text):
        rest = text[match.end() :].lower()
        assert match.group().lower().startswith("http"), text
        assert rest.startswith((f"{HOSTS[0]}/", f"{SERVER}/")), text


@pytest.mark.parametrize("reply", SPLIT_TAGS)
def test_split_and_nested_tags_come_out_as_text_whole_and_streamed(reply: str) -> None:
    for out in (whole(reply), streamed(reply, list(range(len(reply))))):
        assert_no_html(out)
        assert "&lt;" in out  # shown as text, not dropped
    checked = check_reply(reply, {PRIVACY}, URLS, 100_000)
    notice = checked.notice()
    assert checked.text == whole(reply)
    if "<b>" in reply or "<i>" in reply:
        assert notice is not None and "HTML tag(s)" in notice


def test_a_bang_before_a_link_written_here_does_not_make_it_an_image() -> None:
    for reply in (f"Wow![{PRIVACY}]", f"![made_up][{PRIVACY}]", f"![x](#{PRIVACY})"):
        for out in (whole(reply), streamed(reply, list(range(len(reply))))):
            assert_no_html(out)
            assert "<img" not in MarkdownIt("commonmark").render(out)
    assert whole(f"Wow![{PRIVACY}]") == f"Wow\\![{PRIVACY}]({URLS[PRIVACY]})"


def test_angle_brackets_in_prose_and_code_are_entities_that_read_the_same() -> None:
    out = whole("root > system > developer, and a < b. `if a < b` stays code.")
    assert out == ("root &gt; system &gt; developer, and a &lt; b. `if a &lt; b` stays code.")
    html = MarkdownIt("commonmark").render(out)
    assert "root &gt; system" in html and "a &lt; b." in html  # shown as > and <


def test_bare_urls_elsewhere_are_defanged_and_links_to_the_spec_and_this_server_kept() -> None:
    reply = (
        "Log in at https://evil.example/login or www.evil.example. Read "
        "https://model-spec.openai.com/2025-12-18.html and https://specqa.example.com/diff?a=b, "
        "not https://model-spec.openai.com.evil.example/x, https://model-spec.openai.com@evil.example/"
        ", HTTP://EVIL.EXAMPLE/ or ftp://files.evil.example/f. Cited [protect_privileged_information]."
    )
    checked = check_reply(reply, {PRIVACY}, URLS, 100_000, HOSTS)
    assert checked.text == (
        "Log in at hxxps://evil(.)example/login or www(.)evil(.)example. Read "
        "https://model-spec.openai.com/2025-12-18.html and https://specqa.example.com/diff?a=b, "
        "not hxxps://model-spec(.)openai(.)com(.)evil(.)example/x, "
        "hxxps://model-spec(.)openai(.)com@evil(.)example/"
        ", hxxp://EVIL(.)EXAMPLE/ or fxp://files(.)evil(.)example/f. "
        f"Cited [{PRIVACY}]({URLS[PRIVACY]})."
    )
    assert_no_foreign_url(checked.text)
    notice = checked.notice()
    assert notice is not None and "Removed 6 link(s)" in notice
    # without this server's host its links are defanged too; a URL joined by a removal is caught
    assert (
        whole_without_server("https://specqa.example.com/diff")
        == "hxxps://specqa(.)example(.)com/diff"
    )
    for joined in (
        "https:<b>//evil.example/x",
        "https:/[/](javascript:x)evil.example",
        "www<i>.evil.example",
    ):
        assert_no_foreign_url(whole(joined))
    assert_no_foreign_url(whole("https\\://evil.example and www\\.evil.example"))


def whole_without_server(reply: str) -> str:
    return check_reply(reply, {PRIVACY}, URLS, 100_000).text


def test_answers_may_link_this_server_only_when_it_has_a_public_url(tmp_path: Path) -> None:
    llm = fake_llm_settings("http://127.0.0.1:9/v1")
    public = LLMAnswerer(make_settings(tmp_path, public_base_url=f"https://{SERVER}", **llm))
    assert public.hosts == ("model-spec.openai.com", SERVER)
    assert LLMAnswerer(make_settings(tmp_path, **llm)).hosts == ("model-spec.openai.com",)


def test_slack_shows_the_entities_as_the_characters_they_stand_for() -> None:
    text = markdown_to_mrkdwn(whole("root > system, and `a < b` & R&amp;D"))
    assert text == "root &gt; system, and `a &lt; b` &amp; R&amp;D"  # Slack shows > < & &


def test_a_url_arriving_in_pieces_is_defanged_as_a_whole() -> None:
    reply = "see www.evil.example/login and https://model-spec.openai.com/x."
    expected = whole(reply)
    assert "www(.)evil(.)example/login" in expected
    for size in (1, 2, 3, 5, 7):
        assert streamed(reply, list(range(0, len(reply), size))) == expected


@given(
    parts=st.lists(st.sampled_from(FRAGMENTS), max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
@settings(
    max_examples=600,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_fuzzed_nested_and_split_tags_never_come_out_as_html(
    parts: list[str], cuts: list[int]
) -> None:
    reply = "".join(parts)
    out = whole(reply)
    assert_no_html(out)
    assert_no_foreign_url(out)
    assert streamed(reply, [c for c in cuts if c < len(reply)]) == out
