"""The verdict line an LLM answer leads with: ``Verdict: yes|no|depends``, and what follows it.

"Verdict: yes, with limits" gives the verdict "yes" and keeps "With limits" as the answer's first
words (not ", with limits"). Every surface shows the verdict as :func:`verdict_line`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = ["VERDICTS", "parse_verdict", "split_verdict", "verdict_line"]

VERDICTS = ("yes", "no", "depends")
_VERDICT = re.compile(
    r"^\s*[*_#> ]*verdict[*_ ]*:[*_ ]*(yes|no|depends)\b[*_]*[ \t]*[,.;:!\u2013\u2014-]*[*_ \t]*",
    re.I,
)
_FIRST_LINE_LIMIT = 400


def verdict_line(verdict: str) -> str:
    return f"**Verdict: {verdict}**"


def parse_verdict(text: str) -> tuple[str | None, str]:
    """The verdict and the text after it (the rest of the verdict line kept, capitalised)."""
    match = _VERDICT.match(text)
    if not match:
        return None, text
    rest = text[match.end() :]
    line, newline, after = rest.partition("\n")
    line = line.strip().rstrip("*_").strip()
    body = f"{line[:1].upper()}{line[1:]}{newline}{after}" if line else after
    return match.group(1).lower(), body.lstrip("\n")


def split_verdict(pieces: Iterable[str]) -> tuple[str | None, Iterator[str]]:
    """Reads a stream until its first line is complete; the verdict and the rest of the stream."""
    iterator = iter(pieces)
    head = ""
    for piece in iterator:
        head += piece
        if "\n" in head.lstrip() or len(head) > _FIRST_LINE_LIMIT:
            break
    verdict, body = parse_verdict(head)

    def rest() -> Iterator[str]:
        if body:
            yield body
        yield from iterator

    return verdict, rest()
