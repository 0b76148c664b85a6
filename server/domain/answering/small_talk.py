"""Messages that are no question: thanks, a greeting, an acknowledgement ("ok", "got it", "that's
really helpful"), a reaction ("lol", "hmm", "?") or asking what the bot does. Retrieved, they
were answered with a section: after an answer, the earlier one again at its confidence; alone,
whatever the words were nearest ("thanks, that's really helpful" got the self-harm section's
crisis text in a Slack DM). They get a short reply and a pointer to what can be asked instead: no
section, no confidence, no model.

Only a whole message is small talk: "Thanks! And for kids?" is a follow-up. Retrieval and the
eval are unchanged: a raw prompt such as "thanks! that helps" still ranks the section on how a
model answers it (``have_conversational_sense``) where sections are ranked (``/v1/search``,
``specqa eval``).
"""

from __future__ import annotations

import re
import time

from server.domain.schemas import Answer

__all__ = ["is_small_talk", "small_talk_answer", "without_small_talk"]

_THANKS = r"thanks?|thank you|thx|ty|cheers|much appreciated|appreciate it"
_GREETING = r"hi|hello|hey|hiya|good (?:morning|afternoon|evening|day)|bye|goodbye|see you"
_ACKNOWLEDGING = (
    r"ok(?:ay)?|k|got it|understood|makes sense|i see|sure|alright|all right|"
    r"great|perfect|cool|nice|awesome|good|fine|right|"
    r"(?:that(?:'s| is| was) |this is |very |really |so |super )*"
    r"(?:helpful|useful|clear|great|perfect|interesting|good to know)|that helps|that helped"
)
# what the bot is for: answered by what to ask
_ABOUT = r"what can you do|what do you do|how does this work|how do i use (?:this|you)"
_REACTION = r"yes|yep|no|nope|lol|lmao|haha+|hah|hm+|huh|wow|oh|ah|uh|um+|wat|what\?*|x+|\?+|!+|\.+"
_TAIL = r"(?:\s+(?:so much|a lot|again|very much|there|all|everyone|man|mate|buddy|bot|for that))*"
_PART = rf"(?:{_THANKS}|{_GREETING}|{_ACKNOWLEDGING}|{_ABOUT}|{_REACTION}){_TAIL}"
_WHOLE = re.compile(rf"^\W*{_PART}(?:[\s,.!?;:)(]+{_PART})*[\W]*$", re.IGNORECASE)
# its end: a comma, a stop or a colon, or a dash with a space before it (not "right-wing")
_LEADING = re.compile(rf"^\W*{_PART}(?:[\s,]+{_PART})*(?:\s*[,.!;:]+|\s+[—–-]+)\s*", re.IGNORECASE)
_THANKED = re.compile(rf"\b(?:{_THANKS})\b", re.IGNORECASE)
_GREETED = re.compile(rf"^\W*(?:{_GREETING})\b", re.IGNORECASE)
_ASKED_ABOUT = re.compile(rf"\b(?:{_ABOUT})\b", re.IGNORECASE)
_ACKNOWLEDGED = re.compile(rf"^\W*(?:{_ACKNOWLEDGING})\b", re.IGNORECASE)

_ASK = (
    'Ask how OpenAI\'s models should behave in a situation ("Will it help me pick a lock?", '
    '"Can my system prompt make it swear?") and I will answer from the Model Spec, citing the '
    "sections that govern it."
)


def is_small_talk(message: str) -> bool:
    """Whether the whole of ``message`` only thanks, greets, acknowledges or reacts."""
    return _WHOLE.match(message) is not None


def small_talk_answer(message: str, release: str) -> Answer | None:
    """The reply to ``message`` when it is small talk (see the module), else None."""
    if not is_small_talk(message):
        return None
    started = time.perf_counter()
    if _THANKED.search(message):
        opening = "You're welcome."
    elif _ASKED_ABOUT.search(message):
        opening = "I answer questions about OpenAI's Model Spec."
        opening = f"Hello. {opening}" if _GREETED.match(message) else opening
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
