"""What an LLM wrote, made safe for every surface: citations checked, markdown neutralised.

One linear pass (a single regular expression of bounded alternatives) over the reply:

* ``[section_id]`` markers and ``[text](url)`` links to a section of the spec are kept, as links to
  the canonical URL, only when the section was in the evidence; others are removed and reported.
* Every other link keeps its text and loses its URL (``javascript:``, ``data:``, remote sites);
  images become their alt text; raw HTML tags are dropped; link reference definitions are dropped.
* Inline code spans keep their text; fenced blocks are scanned.
* Every ``<`` and ``>`` is written as ``&lt;`` and ``&gt;`` (in code too), and any ``[`` or ``]``
  left over is escaped. Removing a tag or a citation can join what was around it
  (``<<b>img …>``): no ``<`` comes out of the filter, so nothing can join into HTML or an
  autolink, whatever the renderer, and no link can appear except the links written here.

Then one pass over the checked text: a bare URL (``http://``, ``https://``, ``ftp://`` or
``www.``) that does not lead to the spec's site or to this server (``hosts``; a path must follow
the host) is defanged, so no chat client makes it a link: ``https://evil.example/login`` becomes
``hxxps://evil(.)example/login`` and ``www.evil.example`` ``www(.)evil(.)example``. This pass runs
after removals, so a URL joined by one is caught too.

Removing a citation leaves no stray " ." or double space. :class:`ReplyFilter` does the same to a
stream: it holds back only a construct that is still open (at most a few hundred characters) and
the last word (it may be a URL still arriving), and the text is capped at a number of characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["SPEC_HOST", "CheckedReply", "ReplyFilter", "check_reply"]

SPEC_HOST = "model-spec.openai.com"

_GAP_MARK = "\x00"  # where a citation was removed, until the gap around it is closed
_MID_LINE = "\x01"  # put before a piece of a stream that does not start a line
_OWN_LINK = "\x02[{}](\x03{}\x04)"  # a link written here, marked until the bare-URL pass
_CONTROL = re.compile("[\x00-\x04]")
_ENTITIES = {"<": "&lt;", ">": "&gt;"}
_ANGLE = re.compile("[<>]")
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
    r"|(?P<angle>[<>])",
    re.MULTILINE,
)
_OPEN_TAIL = re.compile(
    rf"\[{_LINK_TEXT}\]:[^\n]{{0,2000}}|"  # maybe a reference definition: wait for its line
    rf"!?\[{_LINK_TEXT}(?:\](?:\({_URL}(?:\([^()\s]{{0,200}})?)?)?|<(?:[A-Za-z/!?][^<>\n]{{0,500}})?|\\|!|"
    r"`{1,3}[^`\n]{0,500}`{0,2}"
)
_SPECIALS = re.compile(r"[\[!<\\`]")
_CLOSED = ("image", "link", "tag")  # once closed, more text does not change them
_LINE_INDENT = re.compile(r"(?:^|(?<=\n))[ ]{1,3}\Z")  # a reference definition may follow
_SECTION_LINK = re.compile(r"^(?:https?://model-spec\.openai\.com(?:/[^#\s]*)?)?#([a-z0-9_]+)$")
_GAP = re.compile(r"(?P<lead>[ \t]{0,8})(?P<open>\(?)[ \t]{0,8}\x00[ \t\x00]{0,64}(?P<close>\)?)")
_HELD_GAP = re.compile(r"[ \t(\x00]{0,200}\Z")  # a gap's spaces and "(", whatever the order
_SHOWN_IDS = 10
# A bare URL ends where a URL's host cannot go on; the characters of a "word" a URL may be in
_NOT_URL = r"""\s\x00-\x1f\x7f?#<>\[\]()`"'{}|^"""
_URL_CHAR = re.compile(f"[^{_NOT_URL}]")
_SCHEME = r"(?i:https?://|ftp://|www\.)"
_BARE_URL = re.compile(  # a host ends where another URL starts (https://https://…)
    r"(?P<link>!?\x02)|\x03(?P<own>[^\x04]*)\x04"
    rf"|(?P<scheme>{_SCHEME})(?P<host>(?:(?!{_SCHEME}|!\x02)[^{_NOT_URL}/])*)"
)
_DEFANGED_SCHEME = {"http://": "hxxp://", "https://": "hxxps://", "ftp://": "fxp://"}
_HOST_DOT = re.compile("[.\u3002\uff0e\uff61]")  # and the full stops browsers read as dots
_LINKABLE = ("http://", "https://")


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
        if kind == "code":  # literal in markdown: nothing in it is active but < and >
            return _ANGLE.sub(_entity, match.group())
        if kind == "escape":
            return _unescaped(match.group()[1], match.group())
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
            return _entity(match)
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
            label = self.scan(text) if text else section_id
            return _OWN_LINK.format(label, self.urls[section_id])
        self.report.removed[section_id] = None
        if text is None or text.strip(" `*_") == section_id:
            return _GAP_MARK
        return self.scan(text)


def _entity(match: re.Match[str]) -> str:
    return _ENTITIES[match.group()]


def _unescaped(char: str, escape: str) -> str:
    """An entity for ``\\<`` (some renderers do not know that escape); ``:``, ``/``, ``.`` and
    ``!`` bare, so that the bare-URL pass sees ``https\\://`` as the URL a renderer shows and
    ``!`` before a link as what it is."""
    if char in _ENTITIES:
        return _ENTITIES[char]
    return char if char in ":/.!" else escape


class _BareUrls:
    """Defangs bare URLs to hosts other than ``hosts`` (see the module's docstring)."""

    def __init__(self, hosts: Iterable[str], report: CheckedReply) -> None:
        self.hosts = frozenset(host.lower() for host in hosts)
        self.report = report

    def unlink(self, text: str) -> str:
        return _BARE_URL.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        if match["link"] is not None:  # a "!" before a link written here would make it an image
            return "\\!" if match["link"].startswith("!") else ""
        if match["own"] is not None:
            return match["own"]
        scheme, host = match["scheme"].lower(), match["host"]
        follows = match.string[match.end() : match.end() + 1]
        if scheme in _LINKABLE and host.lower() in self.hosts and follows == "/":
            return match.group()
        self.report.neutralised += 1
        name = host.rstrip(".,:;!*_~")  # a sentence's full stop stays one
        defanged = _DEFANGED_SCHEME.get(scheme, "www(.)") + _HOST_DOT.sub("(.)", name)
        return defanged + host[len(name) :]


def _url_word_start(text: str, floor: int) -> int:
    """Where the run of URL characters at the end of ``text`` starts; ``text[floor:]`` is new
    (``text[:floor]`` is such a run already, so a run reaching ``floor`` starts at 0)."""
    start = len(text)
    while start > floor and _URL_CHAR.match(text, start - 1):
        start -= 1
    return 0 if start == floor else start


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


def check_reply(
    text: str,
    allowed: set[str],
    urls: dict[str, str],
    max_chars: int,
    hosts: Iterable[str] = (SPEC_HOST,),
) -> CheckedReply:
    """The whole reply at once (see :class:`ReplyFilter` for a stream). ``hosts``: where a bare
    URL may lead (the spec's site, and this server's public host when it has one)."""
    reply_filter = ReplyFilter(allowed, urls, max_chars, hosts)
    reply_filter.report.text = "".join(reply_filter.run([text]))
    return reply_filter.report


class ReplyFilter:
    """Checks a streamed reply piece by piece; the output is what :func:`check_reply` gives."""

    def __init__(
        self,
        allowed: set[str],
        urls: dict[str, str],
        max_chars: int,
        hosts: Iterable[str] = (SPEC_HOST,),
    ) -> None:
        self.report = CheckedReply()
        self._scanner = _Scanner(allowed, urls, self.report)
        self._urls = _BareUrls(hosts, self.report)
        self._max_chars = max_chars
        self._seen = 0
        self._pending = ""  # raw text that may still be an open construct
        self._held = ""  # checked text whose gaps cannot be closed yet
        self._last = ""  # the last character given out (context for closing a gap)
        self._word = ""  # checked text ending in what may be a URL still arriving
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
        return self._unlinked(out, final=final)

    def _unlinked(self, out: str, *, final: bool) -> str:
        """``out`` with its bare URLs defanged, holding back its last word until it ends."""
        text = self._word + out
        cut = len(text) if final else _url_word_start(text, len(self._word))
        self._word = text[cut:]
        return self._urls.unlink(text[:cut])


def _held_from(text: str) -> int:
    """Where trailing spaces, ``(`` and removed-citation marks start: they wait for what follows."""
    held = _HELD_GAP.search(text, max(0, len(text) - 200))
    return held.start() if held else len(text)


def _decided_up_to(text: str) -> int:
    """Where the still-open construct at the end of ``text`` starts (``len(text)`` if none), or
    the indent of its last line (what follows may start a line's construct)."""
    cut = _open_from(text)
    indent = _LINE_INDENT.search(text, max(0, cut - 3), cut)
    return indent.start() if indent else cut


def _open_from(text: str) -> int:
    position = max(0, len(text) - 2600)
    while special := _SPECIALS.search(text, position):
        start = special.start()
        if text[start] == "\\" and start + 1 < len(text):
            position = start + 2  # an escaped character is decided
            continue
        if text[start] == "`" and text[start - 1 : start] == "`":
            position = start + 1  # inside a run of backticks: only the run's start opens code
            continue
        token = _TOKEN.match(text, start)
        if token is not None and _closed_token(token):
            position = token.end()  # closed: what is inside it (a backtick, a "<") opens nothing
            continue
        if _OPEN_TAIL.fullmatch(text, start):
            return start
        position = start + 1
    return len(text)


def _closed_token(token: re.Match[str]) -> bool:
    """A code span's closing backticks are final once something else follows them."""
    if token.lastgroup == "code":
        return token.end() < len(token.string)
    return token.lastgroup in _CLOSED


def _word_cut(text: str) -> str:
    """``text`` without a word cut in two at its end."""
    head, space, _ = text.rpartition(" ")
    return head if space and head else text
