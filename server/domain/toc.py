"""The table of contents of one release: every section's id, title, authority and a one-sentence
summary, as compact text an LLM can route over.

Built once per release when the corpus loads (see :mod:`server.domain.corpus`), never per request, and
byte-for-byte stable for a given release so that providers' prompt caching applies to it. The
summary is derived deterministically from the section's own text: its first normative sentence
("should", "must", "never", ...), else its first sentence, trimmed to a few words at a word
boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specqa.core.spec import Section

__all__ = ["TableOfContents", "build_toc", "summary_of"]

SUMMARY_WORDS = 14
_NORMATIVE = re.compile(
    r"\b(should|must|never|always|may not|cannot|can't|don't|do not|avoid|refuse|allowed?)\b", re.I
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)")
_MARKUP = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)|[*_`>#]+")


@dataclass(frozen=True)
class TableOfContents:
    release: str
    text: str  # one line per section: ``id | title | authority | summary``
    ids: frozenset[str]


def build_toc(release: str, sections: list[Section]) -> TableOfContents:
    lines = [
        f"{s.id} | {s.title} | {s.authority or '-'} | {summary_of(s.body)}".rstrip(" |")
        for s in sections
    ]
    return TableOfContents(release, "\n".join(lines), frozenset(s.id for s in sections))


def summary_of(text: str, words: int = SUMMARY_WORDS) -> str:
    """The first normative sentence of ``text`` (else its first), at most ``words`` words."""
    sentences = [_plain(s) for s in _SENTENCE_END.split(text)]
    sentences = [s for s in sentences if len(s.split()) >= 3]
    if not sentences:
        return ""
    chosen = next((s for s in sentences if _NORMATIVE.search(s)), sentences[0])
    kept = chosen.split()
    return " ".join(kept[:words]) + ("…" if len(kept) > words else "")


def _plain(sentence: str) -> str:
    """The sentence without markdown: link texts kept, emphasis and quote marks dropped."""
    return " ".join(_MARKUP.sub(lambda m: m.group(1) or " ", sentence).split())
