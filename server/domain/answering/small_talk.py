"""Messages in a conversation that are no question: thanks, a greeting, an acknowledgement
("ok", "got it") or a reaction ("lol", "hmm", "?"). After an answer, retrieved as follow-ups,
they were answered with the earlier answer again, at its confidence. They get a short reply and a
pointer to what can be asked instead: no section, no confidence, no model.

Only a whole message is small talk: "Thanks! And for kids?" is a follow-up. And only in a
conversation: a first message "thanks! that helps" is a raw prompt, and how a model should answer
it is the spec's (``have_conversational_sense``), as the eval set of raw prompts has it.
"""

from __future__ import annotations

import re
import time

from server.domain.schemas import Answer

__all__ = ["small_talk_answer", "without_small_talk"]

_THANKS = r"thanks?|thank you|thx|ty|cheers|much appreciated|appreciate it"
_GREETING = r"hi|hello|hey|hiya|good (?:morning|afternoon|evening|day)|bye|goodbye|see you"
_ACKNOWLEDGING = (
    r"ok(?:ay)?|k|got it|understood|makes sense|i see|sure|alright|all right|"
    r"great|perfect|cool|nice|awesome|good|fine|right|(?:very )?helpful|that helps|"
    r"that(?:'s| is) (?:helpful|great|perfect|clear)"
)
_REACTION = r"yes|yep|no|nope|lol|lmao|haha+|hah|hm+|huh|wow|oh|ah|uh|um+|wat|what\?*|x+|\?+|!+|\.+"
_TAIL = r"(?:\s+(?:so much|a lot|again|very much|there|all|everyone|man|mate|buddy|bot))*"
_PART = rf"(?:{_THANKS}|{_GREETING}|{_ACKNOWLEDGING}|{_REACTION}){_TAIL}"
_WHOLE = re.compile(rf"^\W*{_PART}(?:[\s,.!?;:)(]+{_PART})*[\W]*$", re.IGNORECASE)
# its end: a comma, a stop or a colon, or a dash with a space before it (not "right-wing")
_LEADING = re.compile(rf"^\W*{_PART}(?:[\s,]+{_PART})*(?:\s*[,.!;:]+|\s+[—–-]+)\s*", re.IGNORECASE)
_THANKED = re.compile(rf"\b(?:{_THANKS})\b", re.IGNORECASE)
_GREETED = re.compile(rf"^\W*(?:{_GREETING})\b", re.IGNORECASE)
_ACKNOWLEDGED = re.compile(rf"^\W*(?:{_ACKNOWLEDGING})\b", re.IGNORECASE)

_ASK = (
    'Ask how OpenAI\'s models should behave in a situation ("Will it help me pick a lock?", '
    '"Can my system prompt make it swear?") and I will answer from the Model Spec, citing the '
    "sections that govern it."
)


def small_talk_answer(message: str, release: str) -> Answer | None:
    """The reply to ``message`` when it is small talk (see the module), else None."""
    if not _WHOLE.match(message):
        return None
    started = time.perf_counter()
    if _THANKED.search(message):
        opening = "You're welcome."
    elif _GREETED.match(message):
        opening = "Hello."
    elif _ACKNOWLEDGED.match(message):
        opening = "All right."
    else:
        opening = "That is not a question I can answer from the Model Spec."
    return Answer(
        question=message,
        release=release,
        mode="extractive",
        answer=f"{opening} {_ASK}",
        confidence=None,
        verdict=None,
        citations=[],
        examples=[],
        timings={"total_ms": round((time.perf_counter() - started) * 1000, 2)},
    )


def without_small_talk(message: str) -> str:
    """``message`` without the small talk it opens with ("Thanks! And for kids?" → "And for
    kids?"), so that what it asks is read as if it came alone (a follow-up's opening included)."""
    rest = _LEADING.sub("", message, count=1)
    return rest if rest.strip() else message
