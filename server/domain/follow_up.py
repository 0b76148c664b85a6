"""Whether a question leans on the conversation before it.

A follow-up ("what about for kids?", "and if the user insists?", "does that change in the newer
release?") is retrieved together with the previous question; a question that stands on its own is
retrieved alone, so an unrelated earlier turn cannot pull its sections in. The cues are the
openings and back-references of English follow-ups. "it" is not one: everyday questions name the
assistant so ("Can it…?").
"""

from __future__ import annotations

import re

__all__ = ["leans_on_history"]

_OPENINGS = re.compile(
    r"^\W*(and|but|or|so|then|also|plus|what about|how about|what if|why( not)?|instead|same)\b",
    re.IGNORECASE,
)
_BACK_REFERENCES = re.compile(
    r"\b(that|this|these|those|they|them|their|he|she|her|him|his|the same|above|earlier)\b",
    re.IGNORECASE,
)
_SHORT = 4  # words: "and for teens?", "why?"


def leans_on_history(question: str) -> bool:
    return (
        len(question.split()) <= _SHORT
        or _OPENINGS.match(question) is not None
        or _BACK_REFERENCES.search(question) is not None
    )
