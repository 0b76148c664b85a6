"""The table of contents of one release: every section's id, title, authority and a one-sentence
summary, as compact text an LLM can route over.

Built once per release when the corpus loads (see :mod:`server.domain.retrieval.corpus`), never per request, and
byte-for-byte stable for a given release so that providers' prompt caching applies to it. The
summary is derived deterministically from the section's own text: its first normative sentence
("should", "must", "never", ...), else its first sentence, trimmed to a few words at a word
boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

from specqa.core.spec import Section
from specqa.core.text import NORMATIVE, blocks, plain_text, split_sentences

__all__ = ["TableOfContents", "build_toc", "summary_of"]

SUMMARY_WORDS = 14


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
    sentences = [plain_text(s) for b in blocks(text) for s in split_sentences(" ".join(b.split()))]
    sentences = [s for s in sentences if len(s.split()) >= 3]
    if not sentences:
        return ""
    chosen = next((s for s in sentences if NORMATIVE.search(s)), sentences[0])
    kept = chosen.split()
    return " ".join(kept[:words]) + ("…" if len(kept) > words else "")
