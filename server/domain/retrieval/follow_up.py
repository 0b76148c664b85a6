"""Whether a question leans on the conversation before it.

A follow-up ("what about for kids?", "and if the user insists?", "does that change in the newer
release?") is retrieved together with the previous question; a question that stands on its own is
retrieved alone, so an unrelated earlier turn cannot pull its sections in. The cues are the
openings and back-references of English follow-ups. "it" is not one: everyday questions name the
assistant so ("Can it…?").
"""

from __future__ import annotations

import re

__all__ = ["follow_up_query", "follow_up_words", "leans_on_history"]

_OPENINGS = re.compile(
    r"^\W*(and|but|or|so|then|also|plus|what about|how about|what if|why( not)?|instead|same)\b",
    re.IGNORECASE,
)
_BACK_REFERENCES = re.compile(
    r"\b(that|this|these|those|they|them|their|he|she|her|him|his|the same|above|earlier)\b",
    re.IGNORECASE,
)
_SHORT = 4  # words: "and for teens?", "why?"
# Who is asking or allowing is not what a question is about: "and if the developer allows it?"
# keeps the earlier question's topic instead of pulling in the sections about developers.
_ROLE_WORDS = re.compile(
    r"\b(?:the |a |an |my |our |your )?(?:developers?|operators?|system (?:prompt|message)s?|"
    r"dev(?:eloper)? messages?|users?|platforms?|apps?|api|businesses|compan(?:y|ies))\b",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"\b(and|but|or|so|then|also|what|about|how|if|it|they|that|this|does|do|is|are|can|will|"
    r"would|should|allows?|lets?|says?|tells?|wants?|asks?|instead|still|too|the|a|an|to|for)\b",
    re.IGNORECASE,
)


def leans_on_history(question: str) -> bool:
    return (
        len(question.split()) <= _SHORT
        or _OPENINGS.match(question) is not None
        or _BACK_REFERENCES.search(question) is not None
    )


def follow_up_words(question: str) -> str | None:
    """A follow-up's own words once role words are taken out ("what if I want it aimed at young
    men?"), or None when nothing of substance remains ("and if the developer allows it?")."""
    own = " ".join(_ROLE_WORDS.sub(" ", question).split())
    substance = _FILLER.sub(" ", re.sub(r"[^\w\s']", " ", own)).split()
    return own if substance else None


def follow_up_query(question: str, previous: str) -> str:
    """What a follow-up is retrieved as: the earlier question, which holds the topic, and the
    follow-up's own words (nothing of it if only role words remain)."""
    own = follow_up_words(question)
    return f"{previous}\n{own}" if own else previous
