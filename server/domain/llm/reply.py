"""What an LLM wrote, made safe for every surface: citations checked, markdown neutralised.

One linear pass (a single regular expression of bounded alternatives) over the reply:

* ``[section_id]`` markers and ``[text](url)`` links to a section of the spec are kept, as links to
  the canonical URL, only when the section was in the evidence; others are removed and reported.
* Every other link keeps its text and loses its URL (``javascript:``, ``data:``, remote sites);
  images become their alt text; raw HTML tags are dropped; link reference definitions are dropped.
* Inline code spans pass unchanged (nothing in them is active); fenced blocks are scanned.
* Any ``[``, ``]`` or ``<`` left over is escaped, so no link, image, autolink or HTML can appear in
  the output except the links written here.

Removing a citation leaves no stray " ." or double space. :class:`ReplyFilter` does the same to a
stream: it holds back only a construct that is still open (at most a few hundred characters) and
the text is capped at a number of characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["CheckedReply", "ReplyFilter", "check_reply"]

_GAP_MARK = "\x00"  # where a citation was removed, until the gap around it is closed
_MID_LINE = "\x01"  # put before a piece of a stream that does not start a line
_CONTROL = re.compile("[\x00\x01]")
_LINK_TEXT = r"[^\[\]\n]{0,300}"
_TITLE = r"""(?:"[^"\n]{0,300}"|'[^'\n]{0,300}'|\([^)\n]{0,300}\))"""
_URL = r"(?:[^()\s]|\([^()\s]{0,200}\)){0,2000}"  # one level of parentheses, as in a URL
_TOKEN = re.compile(
    r"(?P<escape>\\[\s\S])"
    r"|(?P<code>(?<!`)(?P<ticks>`{1,3})(?!`)[^`\n]{1,500}(?<!`)(?P=ticks)(?!`))"  # inline code
    rf"|(?P<refdef>^[ ]{{0,3}}\[{_LINK_TEXT}\]:[ \t]*\S+[ \t]*{_TITLE}?[ \t]*$)"
    rf"|(?P<image>!\[(?P<alt>{_LINK_TEXT})\]\((?P<src>{_URL})\))"
    rf"|(?P<link>\[(?P<text>{_LINK_TEXT})\]\((?P<href>{_URL})\))"
    r"|(?P<marker>\[(?P<id>[a-z0-9]+(?:_[a-z0-9]+)*)\])"
    r"|(?P<tag><[A-Za-z/!?][^<>\n]{0,500}>)"
    r"|(?P<bracket>[\[\]])"
    r"|(?P<angle><(?=[A-Za-z/!?]))",
    re.MULTILINE,
)
_OPEN_TAIL = re.compile(
    rf"\[{_LINK_TEXT}\]:[^\n]{{0,2000}}|"  # maybe a reference definition: wait for its line
    rf"!?\[{_LINK_TEXT}(?:\](?:\({_URL}(?:\([^()\s]{{0,200}})?)?)?|<[A-Za-z/!?]?[^<>\n]{{0,500}}|\\|!|"
    r"`{1,3}[^`\n]{0,500}`{0,2}"
)
_SPECIALS = re.compile(r"[\[!<\\`]")
_SECTION_LINK = re.compile(r"^(?:https?://model-spec\.openai\.com(?:/[^#\s]*)?)?#([a-z0-9_]+)$")
_GAP = re.compile(r"(?P<lead>[ \t]{0,8})(?P<open>\(?)[ \t]{0,8}\x00[ \t\x00]{0,64}(?P<close>\)?)")
_HELD_GAP = re.compile(r"[ \t(]{0,64}(?:\x00[ \t\x00]{0,64})?\Z")
_SHOWN_IDS = 10


@dataclass
class CheckedReply:
    """The safe text and what was changed to make it so."""

    text: str = ""
    cited: dict[str, None] = field(default_factory=dict)  # ordered set of kept section ids
    removed: dict[str, None] = field(default_factory=dict)  # ids cited but not in the evidence
    neutralised: int = 0  # links, images and HTML that were dropped
    truncated_at: int | None = None

    def notice(self) -> str | None:
        parts = []
        if self.removed:
            ids = list(self.removed)
            shown = ", ".join(ids[:_SHOWN_IDS])
            more = f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
            parts.append(
                f"Removed citations to sections that were not in the evidence: {shown}{more}."
            )
        if self.neutralised:
            parts.append(
                f"Removed {self.neutralised} link(s), image(s) or HTML tag(s) that did not point "
                "to the cited sections."
            )
        if self.truncated_at is not None:
            parts.append(f"The LLM's answer was cut at {self.truncated_at} characters.")
        return " ".join(parts) or None


class _Scanner:
    """The one pass; ``allowed`` section ids become links to ``urls[id]``."""

    def __init__(self, allowed: set[str], urls: dict[str, str], report: CheckedReply) -> None:
        self.allowed = allowed
        self.urls = urls
        self.report = report

    def scan(self, text: str, *, line_start: bool = True) -> str:
        text = _CONTROL.sub("", text)
        if line_start:
            return _TOKEN.sub(self._replace, text)
        return _TOKEN.sub(self._replace, _MID_LINE + text)[1:]

    def _replace(self, match: re.Match[str]) -> str:
        kind = match.lastgroup
        if kind in ("escape", "code"):  # literal in markdown: nothing in them is active
            return match.group()
        if kind == "marker":
            return self._cite(match["id"], None)
        if kind == "link":
            return self._link(match["text"], match["href"])
        if kind == "image":
            self.report.neutralised += 1
            return self.scan(match["alt"])
        if kind == "bracket":
            return "\\" + match.group()
        if kind == "angle":
            return "&lt;"
        self.report.neutralised += 1  # a tag or a reference definition
        return _GAP_MARK

    def _link(self, text: str, href: str) -> str:
        section = _SECTION_LINK.match(href)
        if section is None:
            self.report.neutralised += 1
            return self.scan(text)
        return self._cite(section[1], text)

    def _cite(self, section_id: str, text: str | None) -> str:
        if section_id in self.allowed:
            self.report.cited[section_id] = None
            return f"[{self.scan(text) if text else section_id}]({self.urls[section_id]})"
        self.report.removed[section_id] = None
        if text is None or text.strip(" `*_") == section_id:
            return _GAP_MARK
        return self.scan(text)


def close_gaps(text: str) -> str:
    """Remove the marks left by removed citations, with the space or parentheses around them."""
    return _GAP.sub(_closed, text)


def _closed(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    after = text[end : end + 1]
    before = text[start - 1 : start] if start else ""
    opened, closed = match["open"], match["close"]
    if opened and not closed:
        return match["lead"] + opened
    if closed and not opened:
        return closed
    if not after or after in ".,;:!?)\n" or not before or before in "\n(":
        return ""
    return " " if match["lead"] or match.group().endswith((" ", "\t")) else ""


def check_reply(text: str, allowed: set[str], urls: dict[str, str], max_chars: int) -> CheckedReply:
    """The whole reply at once (see :class:`ReplyFilter` for a stream)."""
    reply_filter = ReplyFilter(allowed, urls, max_chars)
    reply_filter.report.text = "".join(reply_filter.run([text]))
    return reply_filter.report


class ReplyFilter:
    """Checks a streamed reply piece by piece; the output is what :func:`check_reply` gives."""

    def __init__(self, allowed: set[str], urls: dict[str, str], max_chars: int) -> None:
        self.report = CheckedReply()
        self._scanner = _Scanner(allowed, urls, self.report)
        self._max_chars = max_chars
        self._seen = 0
        self._pending = ""  # raw text that may still be an open construct
        self._held = ""  # checked text whose gaps cannot be closed yet
        self._last = ""  # the last character given out (context for closing a gap)
        self._line_start = True  # the next raw piece starts a line

    def run(self, pieces: Iterable[str]) -> Iterator[str]:
        for piece in pieces:
            out = self.feed(piece)
            if out:
                yield out
            if self.report.truncated_at is not None:
                break
        out = self.finish()
        if out:
            yield out

    def feed(self, piece: str) -> str:
        room = self._max_chars - self._seen
        if len(piece) > room:
            piece = _word_cut(piece[:room]) if room > 0 else ""
            self.report.truncated_at = self._max_chars
        self._seen += len(piece)
        pending = self._pending + piece
        cut = _decided_up_to(pending)
        self._pending = pending[cut:]
        return self._give(self._scan(pending[:cut]), final=False)

    def finish(self) -> str:
        pending, self._pending = self._pending, ""
        out = self._give(self._scan(pending), final=True)
        if self.report.truncated_at is not None:
            out += " …"
        return out

    def _scan(self, raw: str) -> str:
        if not raw:
            return ""
        checked = self._scanner.scan(raw, line_start=self._line_start)
        self._line_start = raw.endswith("\n")
        return checked

    def _give(self, checked: str, *, final: bool) -> str:
        text = self._held + checked
        hold = len(text) if final else _held_from(text)
        text, self._held = text[:hold], text[hold:]
        out = close_gaps(self._last + text)[len(self._last) :]
        if out:
            self._last = out[-1]
        return out


def _held_from(text: str) -> int:
    """Where trailing spaces, ``(`` and removed-citation marks start: they wait for what follows."""
    held = _HELD_GAP.search(text, max(0, len(text) - 200))
    return held.start() if held else len(text)


def _decided_up_to(text: str) -> int:
    """Where the still-open construct at the end of ``text`` starts (``len(text)`` if none)."""
    position = max(0, len(text) - 2600)
    while special := _SPECIALS.search(text, position):
        start = special.start()
        if text[start] == "\\" and start + 1 < len(text):
            position = start + 2  # an escaped character is decided
            continue
        code = _TOKEN.match(text, start)
        if code is not None and code.lastgroup == "code" and code.end() < len(text):
            position = code.end()  # a closed code span (its closing backtick opens nothing)
            continue
        if _OPEN_TAIL.fullmatch(text, start):
            return start
        position = start + 1
    return len(text)


def _word_cut(text: str) -> str:
    """``text`` without a word cut in two at its end."""
    head, space, _ = text.rpartition(" ")
    return head if space and head else text
