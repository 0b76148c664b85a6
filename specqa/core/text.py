"""Text people send (questions, earlier turns, comments), cleaned the same way wherever it enters.

Control characters go (newlines and tabs stay), and so do lone surrogates, which no database
stores, and the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C),
which reverse how a terminal, a table or a log shows the text around them.
"""

from __future__ import annotations

import unicodedata

__all__ = ["BIDI_CONTROLS", "without_controls"]

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
