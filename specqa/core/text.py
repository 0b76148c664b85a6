"""Text handling written once: cleaning what people send, and the spec's markdown as plain
sentences.

**Cleaning.** Text people send (questions, earlier turns, comments) is cleaned the same way
wherever it enters. Control characters go (newlines and tabs stay), and so do lone surrogates, which no database
stores, and the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C),
which reverse how a terminal, a table or a log shows the text around them.

**Sentences.** :func:`split_sentences`, :func:`blocks`, :func:`plain_text` and the rule cues
(:data:`NORMATIVE`, :data:`PERMISSIVE`) serve chunking, tuning, the table of contents, the
extractive scorer and the wording diff. A quote that must be found verbatim in a section, with
its offsets, is cut by :mod:`specqa.core.quotes` instead, which knows abbreviations.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "BIDI_CONTROLS",
    "NORMATIVE",
    "PERMISSIVE",
    "SENTENCE_END",
    "SENTENCE_STOPS",
    "blocks",
    "list_lead_in",
    "one_dash",
    "plain_text",
    "shorten",
    "spec_text",
    "split_sentences",
    "without_controls",
]

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def without_controls(text: str, *, keep_format: bool = False) -> str:
    """``text`` without control characters; with ``keep_format`` the format characters other
    than the bidirectional controls stay (an emoji's zero-width joiner in a comment)."""
    return "".join(ch for ch in text if _kept(ch, keep_format))


def _kept(ch: str, keep_format: bool) -> bool:
    if ch in "\n\t":
        return True
    if ch in BIDI_CONTROLS:
        return False
    category = unicodedata.category(ch)
    return category not in ("Cc", "Cs") if keep_format else category[0] != "C"


# --- the spec's markdown as sentences ---------------------------------------------------------

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[*_`])")
SENTENCE_STOPS = re.compile(r"(?<=[.!?])[\"')\]*_]*(?=\s)|\n")
"""Where a text may be cut after a whole sentence (closing quotes and emphasis kept)."""
NORMATIVE = re.compile(
    r"\b(should|must|never|always|shouldn't|mustn't|may not|cannot|can't|don't|do not|avoid|"
    r"refuse|required?|prohibit\w*|allowed?|not (?:be )?permitted|by default)\b",
    re.IGNORECASE,
)
"""The words of a rule statement (as opposed to an illustration or an explanation)."""
PERMISSIVE = re.compile(r"\b(may|can)\b", re.IGNORECASE)
"""The words of a permission: weaker than a rule, still the kind of sentence that answers."""
_BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=\s*[-*\d]+[.)]?\s)")
_DASH = re.compile(r"\s*(?:---|--|\u2014|\u2013)\s*")
_MARKUP = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)|[*_`>#]+")
_LIST_MARK = re.compile(r"^\s*(?:[-+]|\d+[.)])\s+")


def split_sentences(text: str) -> list[str]:
    """``text`` cut after each ``.``, ``!`` or ``?`` that a new sentence follows."""
    return SENTENCE_END.split(text)


def blocks(markdown: str) -> list[str]:
    """Paragraphs and list items, each on its own."""
    return [block for block in _BLOCK_BREAK.split(markdown) if block.strip()]


def list_lead_in(markdown: str, sentence: str) -> str | None:
    """The sentence ending in ":" that introduces the list whose item holds ``sentence`` (plain
    text), or ``None``: an item such as "revenue or upsell for OpenAI…" is a fragment alone."""
    wanted = " ".join(sentence.split())
    lead: str | None = None
    for block in blocks(markdown):
        text = plain_text(block)
        if _LIST_MARK.match(block):
            if wanted and wanted in text:
                return lead
        elif text:
            last = split_sentences(text)[-1]
            lead = last if last.endswith(":") else None
    return None


def plain_text(markdown: str) -> str:
    """Markdown as plain words: link texts kept, emphasis, code and quote marks and a leading
    list marker dropped, white space collapsed."""
    text = _MARKUP.sub(lambda m: m.group(1) or " ", markdown)
    return " ".join(_LIST_MARK.sub("", text).split())


def one_dash(text: str) -> str:
    """``text`` with every way the spec writes a dash ("—", "---", "--", "–"), spaced or not,
    written one way (" — "): 2025-09-12 rewrote every "—" of the releases before as "---"."""
    return _DASH.sub(" \u2014 ", text)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def spec_text(text: str) -> str:
    """A quoted example's text as the spec's page shows it: the source writes "&" inside its
    example blocks as "&amp;" ("Fun &amp; Active"), which the page renders as "&"."""
    return html.unescape(text) if "&" in text else text
