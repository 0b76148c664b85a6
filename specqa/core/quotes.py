"""Verbatim quotes of a section and deep links to them.

A section's *text* is its stored body (markdown) read as a reader sees it: markdown-it-py parses
the body and each block with text (a paragraph, a list item's paragraph, a heading) contributes
its words with the inline markup removed (``**``, ``*``, backticks, link targets); code blocks
contribute nothing. Blocks are separated by a blank line, and line breaks inside a block are kept
as they are in the source.

Sentences are split inside a block, never across one, so a list item, a bold label or a line of
its own never runs into the next block. A *quote* is one contiguous passage of a single block, or
such passages joined by :data:`GAP` ("  […] "); a passage cut short ends with " […]". Every
passage is an exact substring of :func:`section_text`, which the tests check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from urllib.parse import quote as percent_encode

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = [
    "GAP",
    "MIN_SENTENCE_CHARS",
    "Sentence",
    "passages_of",
    "quotable_sentences",
    "section_blocks",
    "section_sentences",
    "section_text",
    "sentence_before",
    "sentences_of",
    "text_fragment_url",
]

GAP = " […] "
MIN_SENTENCE_CHARS = 21  # shorter pieces (a bold label, "See below.") are not worth quoting
FRAGMENT_WORDS = 4  # words on each side of a text-fragment range
_MARKDOWN = MarkdownIt("commonmark")
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*(?P<space>\s+)(?=[\"'“‘(\[]*[A-Z0-9])")
_LINE_BREAK = re.compile(r"\n(?P<space>\s*)")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|Mr|Ms|Dr|No)|\b[A-Z])\.$")
_FRAGILE = re.compile(r"[\"'“”‘’`]|--")  # the page may typeset these differently


@dataclass(frozen=True)
class Sentence:
    """One sentence of a section: where it lies in which block, and its text."""

    block: int
    index: int  # position among all the section's sentences
    start: int
    end: int
    text: str


def section_blocks(body: str) -> tuple[str, ...]:
    """The plain text of each block of ``body`` that has words, in order."""
    return _blocks(body)


def section_text(body: str) -> str:
    """The section's text: what quotes are taken from, verbatim."""
    return "\n\n".join(_blocks(body))


def section_sentences(body: str) -> tuple[Sentence, ...]:
    """Every sentence of every block of ``body``, in document order."""
    return _sentences(body)


def quotable_sentences(body: str) -> tuple[Sentence, ...]:
    """The sentences of ``body`` worth quoting (at least :data:`MIN_SENTENCE_CHARS` long); every
    sentence when none is that long."""
    every = _sentences(body)
    return tuple(s for s in every if len(s.text) >= MIN_SENTENCE_CHARS) or every


# openings (and a "such" that is not "such as") that lean on the sentence before: "However, …",
# "For example, …", "This includes …", "In the latter case, …", "The assistant should not
# generate such white lies."
_LEANS_BACK = re.compile(
    r"^(?:however|for (?:example|instance)|this|these|those|such|similarly|likewise|otherwise|"
    r"instead|conversely|even so|that said|nevertheless|nonetheless|as such|"
    r"in (?:such|these|those|this|that|both|either) (?:cases?|situations?)|"
    r"(?:in )?the (?:latter|former))\b|"
    r"\bsuch (?!as\b)",
    re.IGNORECASE,
)


def sentence_before(body: str, sentence: str) -> str | None:
    """The sentence just before ``sentence`` in its block, when ``sentence`` leans on it and
    reads wrong alone; None otherwise (or when it opens its block)."""
    if not _LEANS_BACK.search(sentence):
        return None
    wanted = " ".join(sentence.split())
    every = _sentences(body)
    for before, current in pairwise(every):
        if current.block == before.block and " ".join(current.text.split()) == wanted:
            return before.text
    return None


def sentences_of(body: str) -> list[str]:
    """The candidate sentences of a section for quoting, each a verbatim substring of
    :func:`section_text` (pieces shorter than a short sentence are left out)."""
    return [s.text for s in _sentences(body) if len(s.text) >= MIN_SENTENCE_CHARS]


def passages_of(quote: str) -> list[str]:
    """The verbatim passages of a quote: split at :data:`GAP`, a trailing " […]" removed."""
    return [p for p in quote.removesuffix(GAP.rstrip()).split(GAP) if p.strip()]


def text_fragment_url(url: str, quote: str) -> str | None:
    """``url`` with a text directive (``#:~:text=start,end``, WICG Text Fragments) for the first
    passage of ``quote``; None when the quote is empty. A browser that finds no match falls back
    to the section anchor."""
    passages = passages_of(quote)
    if not passages:
        return None
    words = passages[0].split()
    if len(words) <= 2 * FRAGMENT_WORDS:
        directive = _encode(" ".join(words))
    else:
        start = _steady_words(words[:FRAGMENT_WORDS], keep_start=True)
        end = _steady_words(words[-FRAGMENT_WORDS:], keep_start=False)
        directive = f"{_encode(start)},{_encode(end)}"
    separator = ":~:" if "#" in url else "#:~:"
    return f"{url}{separator}text={directive}"


# --- internals ----------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _blocks(body: str) -> tuple[str, ...]:
    texts = (_inline_text(token) for token in _MARKDOWN.parse(body) if token.type == "inline")
    return tuple(text for text in texts if text.strip())


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts).strip()


@lru_cache(maxsize=4096)
def _sentences(body: str) -> tuple[Sentence, ...]:
    sentences: list[Sentence] = []
    for block_number, block in enumerate(_blocks(body)):
        for start, end in _spans(block):
            sentences.append(Sentence(block_number, len(sentences), start, end, block[start:end]))
    return tuple(sentences)


def _spans(block: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one block, whitespace around it excluded."""
    cuts = sorted(
        {
            match.start("space")
            for match in _BOUNDARY.finditer(block)
            if _ends_sentence(block, match)
        }
        | {match.start() for match in _LINE_BREAK.finditer(block) if _breaks_line(block, match)}
    )
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*cuts, len(block)]:
        piece = block[start:cut]
        if piece.strip():
            left = start + len(piece) - len(piece.lstrip())
            spans.append((left, start + len(piece.rstrip())))
        start = cut
    return spans


def _ends_sentence(block: str, match: re.Match[str]) -> bool:
    return not _ABBREVIATION.search(block[: match.start() + 1])


def _breaks_line(block: str, match: re.Match[str]) -> bool:
    """A line break ends a sentence unless the next line plainly continues it (a hard-wrapped
    paragraph: the line before has no closing punctuation and the next starts in lower case)."""
    before = block[: match.start()].rstrip()
    after = block[match.end() :]
    wrapped = bool(before) and before[-1] not in ".!?:;" and after[:1].islower()
    return not wrapped


def _steady_words(words: list[str], *, keep_start: bool) -> str:
    """The words a rendered page most likely shows unchanged: stop at quotes and dashes, which a
    typesetter may turn curly or into an em dash (keep all if that leaves nothing)."""
    ordered = words if keep_start else words[::-1]
    steady: list[str] = []
    for word in ordered:
        if _FRAGILE.search(word):
            break
        steady.append(word)
    chosen = steady or ordered
    return " ".join(chosen if keep_start else chosen[::-1])


def _encode(term: str) -> str:
    """Percent-encode a text-directive term: everything but unreserved characters, and ``-``
    too, since the directive's syntax uses it (``&`` and ``,`` are encoded by quote)."""
    return percent_encode(term, safe="").replace("-", "%2D")
