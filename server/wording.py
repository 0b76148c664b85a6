"""Sentence- and word-level differences between two versions of a text.

A text is split into sentences (one per line, paragraphs kept apart); the two sentence lists are
aligned with difflib, and each changed run becomes one :class:`SentenceEdit` with the sentences
removed, the sentences added, and a word diff marked like ``git diff --word-diff``:
``[-removed words-]{+added words+}``.

An edit is *trivial* when it cannot change what a rule means: only punctuation, case or spacing
changed, or at most ``TRIVIAL_WORDS`` words changed and none of them is a word that carries a rule's
force (must, may, never, not, only, ...). Everything else is a change of meaning.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "TRIVIAL_WORDS",
    "SentenceEdit",
    "WordOp",
    "mark_words",
    "sentence_edits",
    "sentence_lines",
    "word_ops",
]

TRIVIAL_WORDS = 2
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[*_`])")
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
_WORD = re.compile(r"[\w'’-]+")

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
        lines += _SENTENCE_END.split(line.rstrip()) if line.strip() else [""]
    return lines


def _sentences(text: str) -> list[str]:
    return [" ".join(s.split()) for s in sentence_lines(text) if s.strip()]


def sentence_edits(
    old: str, new: str, part: Literal["body", "commentary"] = "body"
) -> list[SentenceEdit]:
    """The changed runs of sentences from ``old`` to ``new``, in document order."""
    before, after = _sentences(old), _sentences(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = " ".join(before[i1:i2]), " ".join(after[j1:j2])
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
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _trivial(removed: str, added: str) -> bool:
    if not removed or not added:
        return False  # a sentence added or removed outright
    matcher = difflib.SequenceMatcher(None, _words(removed), _words(added), autojunk=False)
    touched: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            touched += _words(removed)[i1:i2] + _words(added)[j1:j2]
    changed = max(
        sum(i2 - i1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal"),
        sum(j2 - j1 for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal"),
    )
    return changed <= TRIVIAL_WORDS and not (_FORCE_WORDS & set(touched))
