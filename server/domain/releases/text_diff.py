"""Sentence- and word-level differences between two versions of a text.

A text is split into sentences (one per line, paragraphs kept apart); the two sentence lists are
aligned with difflib, and each changed run becomes one :class:`SentenceEdit` with the sentences
removed, the sentences added, and a word diff marked like ``git diff --word-diff``:
``[-removed words-]{+added words+}``.

An edit is *trivial* when it cannot change what a rule means: only punctuation, quotes, case or
spacing changed, or at most ``TRIVIAL_WORDS`` words, each a spelling variant (difflib ratio >=
``SPELLING_RATIO``) or a function word (a, the, of, ...), and none a word that carries a rule's
force (must, may, never, not, only, ...). Everything else, "explicitly" dropped included, is a
change of meaning.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import BaseModel, Field

from specqa.core.text import split_sentences

__all__ = [
    "TRIVIAL_WORDS",
    "SentenceEdit",
    "WordOp",
    "mark_words",
    "sentence_edits",
    "sentence_lines",
    "word_ops",
]

TRIVIAL_WORDS = 3
REWORD_RATIO = 0.5  # below this, two sentences are different sentences, not a rewording
SPELLING_RATIO = 0.8  # judgemental/judgmental, recieve/receive: the same word
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "that",
        "which",
        "as",
        "by",
        "with",
        "from",
        "its",
        "it",
        "their",
        "this",
        "these",
        "those",
        "is",
        "are",
        "be",
        "was",
        "were",
    ]
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_FORCE_WORDS = frozenset(
    [
        "must",
        "mustn't",
        "should",
        "shouldn't",
        "may",
        "might",
        "can",
        "can't",
        "cannot",
        "could",
        "never",
        "not",
        "no",
        "nor",
        "only",
        "always",
        "unless",
        "except",
        "without",
        "all",
        "any",
        "every",
        "none",
        "required",
        "require",
        "requires",
        "prohibited",
        "allowed",
        "forbidden",
        "disallowed",
        "permitted",
        "do",
        "don't",
        "does",
        "doesn't",
        "won't",
        "will",
        "shall",
        "ok",
        "okay",
        "good",
        "bad",
        "refuse",
        "decline",
        "comply",
    ]
)
_WORD = re.compile(r"[\w'’]+(?:-[\w'’]+)*")  # user-provided is one word; a dash (— or ---) none

WordTag = Literal["equal", "removed", "added"]


class WordOp(BaseModel):
    tag: WordTag
    text: str


class SentenceEdit(BaseModel):
    """One changed run of sentences: what was there, what is there now, and the word diff."""

    part: Literal["body", "commentary"] = "body"
    removed: str = Field(default="", description="The old sentence(s); empty when only added")
    added: str = Field(default="", description="The new sentence(s); empty when only removed")
    marked: str = Field(description="Word diff: [-removed words-]{+added words+}")
    trivial: bool = Field(description="Punctuation, case or a word or two; no rule word touched")


def sentence_lines(text: str) -> list[str]:
    """The text one sentence a line, blank lines kept between paragraphs."""
    lines: list[str] = []
    for line in text.splitlines():
        lines += split_sentences(line.rstrip()) if line.strip() else [""]
    return lines


def _sentences(text: str) -> list[str]:
    return [" ".join(s.split()) for s in sentence_lines(text) if s.strip()]


def sentence_edits(
    old: str, new: str, part: Literal["body", "commentary"] = "body"
) -> list[SentenceEdit]:
    """The changed sentences from ``old`` to ``new``, in document order: a reworded sentence is
    one edit (both versions, word-marked), a sentence added or removed outright is its own."""
    before, after = _sentences(old), _sentences(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            for removed, added in _pair_sentences(before[i1:i2], after[j1:j2]):
                edits.append(
                    SentenceEdit(
                        part=part,
                        removed=removed,
                        added=added,
                        marked=mark_words(removed, added),
                        trivial=_trivial(removed, added),
                    )
                )
    return edits


def _pair_sentences(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    """In order: each old sentence with the next new one that rewords it (difflib ratio >=
    ``REWORD_RATIO``); new sentences skipped over are added, old ones with no match removed."""
    pairs: list[tuple[str, str]] = []
    start = 0
    for sentence in old:
        match = next(
            (j for j in range(start, len(new)) if _rewords(sentence, new[j])),
            None,
        )
        if match is None:
            pairs.append((sentence, ""))
            continue
        pairs += [("", added) for added in new[start:match]]
        pairs.append((sentence, new[match]))
        start = match + 1
    return pairs + [("", added) for added in new[start:]]


def _rewords(old: str, new: str) -> bool:
    matcher = difflib.SequenceMatcher(None, old, new)
    return (
        matcher.real_quick_ratio() >= REWORD_RATIO
        and matcher.quick_ratio() >= REWORD_RATIO
        and matcher.ratio() >= REWORD_RATIO
    )


def word_ops(old: str, new: str) -> list[WordOp]:
    """A word-level diff; whitespace between words is kept with the word before it."""
    before, after = re.findall(r"\S+\s*", old), re.findall(r"\S+\s*", new)
    matcher = difflib.SequenceMatcher(
        None, [w.strip() for w in before], [w.strip() for w in after], autojunk=False
    )
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(WordOp(tag="equal", text="".join(after[j1:j2])))
            continue
        if i2 > i1:
            ops.append(WordOp(tag="removed", text="".join(before[i1:i2])))
        if j2 > j1:
            ops.append(WordOp(tag="added", text="".join(after[j1:j2])))
    return ops


def mark_words(old: str, new: str) -> str:
    """``old`` -> ``new`` as one line with ``[-removed-]`` and ``{+added+}`` marks."""
    pieces = []
    for op in word_ops(old, new):
        text = op.text.strip()
        space = " " if op.text != op.text.rstrip() else ""
        if op.tag == "equal":
            pieces.append(op.text)
        elif op.tag == "removed":
            pieces.append(f"[-{text}-]{space}")
        else:
            pieces.append(f"{{+{text}+}}{space}")
    return "".join(pieces).strip()


def _words(text: str) -> list[str]:
    """Words for comparing meaning: lower case, one kind of quote, punctuation dropped."""
    plain = text.lower().translate(_QUOTES)
    return _WORD.findall(plain)


def _trivial(removed: str, added: str) -> bool:
    """Punctuation, quotes, case, spelling, or a function word or two; never a rule word."""
    if not removed or not added:
        return False  # a sentence added or removed outright
    before, after = _words(removed), _words(added)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    changed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = before[i1:i2], after[j1:j2]
        changed += max(len(old), len(new))
        if not _minor(old, new):
            return False
    return changed <= TRIVIAL_WORDS


def _minor(old: list[str], new: list[str]) -> bool:
    if _FORCE_WORDS & set(old + new):
        return False
    if len(old) == len(new):
        return all(
            (a in _FUNCTION_WORDS and b in _FUNCTION_WORDS) or _spelling(a, b)
            for a, b in zip(old, new, strict=True)
        )
    return set(old + new) <= _FUNCTION_WORDS


def _spelling(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b).ratio() >= SPELLING_RATIO
