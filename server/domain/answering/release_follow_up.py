"""A follow-up that names a release and nothing else ("and in the newest release?", "what about
the 2025-02-12 release?", "was it the same in the February 2025 version?") asks the
conversation's question again, in that release: the release it names replaces the one the request
asked for, and the question is answered exactly as it was, its own history included.

A turn like that holds no topic, so the question it re-asks, and the turn any later follow-up
leans on, is the newest earlier turn that asks something. A question about what *changed* in a
release ("what changed in the newest release?") is a change question, answered before this; a
follow-up naming another release after it ("and in October?") asks what changed in that one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.domain.answering.release_asked import release_asked
from server.domain.answering.small_talk import is_small_talk, without_small_talk
from server.domain.releases.change_questions import MONTH_WORDS, is_change_question, named_releases
from server.domain.retrieval.follow_up import follow_up_query, leans_on_history, returns_to

__all__ = ["Reasked", "earlier_topic", "release_follow_up"]

# what a follow-up may say besides the release's name and still ask nothing new
_RELEASE_ONLY_WORDS = re.compile(
    r"\b(?:and|but|or|so|then|also|what|about|how|is|was|were|are|it|that|this|does|did|do|"
    r"same|the|a|an|in|of|from|for|at|on|under|by|release|releases|version|versions|spec|model|"
    r"newest|latest|current|most|recent|first|oldest|earliest|previous|prior|indexed|one|there|"
    r"back|true|too|still|say|says|said|look|looks|always|already|ever|has|have|had|been|so|"
    rf"like|way|case|answer|again|please|{MONTH_WORDS})\b|\b\d{{4}}(?:-\d{{2}}-\d{{2}})?\b",
    re.IGNORECASE,
)

# what only a follow-up says beside a release's name: "and in…", "what about…", "the same in…",
# "what does … say?"; "What's the newest release?" asks which one it is
_FOLLOWS_ON = re.compile(
    r"\b(?:and|in|under|for|from|about|same|back|say|says|said)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Reasked:
    """An earlier question asked again in another release, with the turns before it."""

    question: str
    history: list[str]
    release: str


def release_follow_up(question: str, history: list[str], known: list[str]) -> Reasked | None:
    """The earlier question ``question`` asks again in the release it names, or None when it
    is no follow-up, names no single release or asks something of its own ("and for kids in the
    2025-02-12 release?")."""
    release = _release_only(question, known, follows=True) if history else None
    changed = _change_in_one_release(history, known) if release is not None else None
    if release is not None and changed is not None:  # "what changed in December?" "and in October?"
        index, what = changed
        return Reasked(f"{what.rstrip(' ?')} in the {release} release?", history[:index], release)
    topic = _topic_turn(history, known) if release is not None else None
    if release is None or topic is None:  # no such follow-up, or every earlier turn is one
        return None
    # the whole conversation is asked again there: no earlier turn's release may outrank it
    earlier = [_without_release(turn, known) for turn in history[: topic + 1]]
    return Reasked(earlier[-1], earlier[:-1], release)


def earlier_topic(history: list[str], known: list[str], question: str = "") -> str:
    """What the conversation is about, as a search would take it: the earlier question a
    follow-up leans on, with the turns before it while each is itself a follow-up ("what if
    the developer allows it?" after "what if I tell it to?" is about the question before both).
    A ``question`` that goes back to a turn ("back to the first topic: …") leans on that one."""
    back = returns_to(question, len(history))
    history = history if back is None else history[: back + 1]
    topic = _topic_turn(history, known)
    index = len(history) - 1 if topic is None else topic
    asked = _without_release(without_small_talk(history[index]), known)
    if index > 0 and leans_on_history(asked):
        return follow_up_query(asked, earlier_topic(history[:index], known))
    return asked


def _without_release(question: str, known: list[str]) -> str:
    named = release_asked(question, known)
    return question if named is None else named.question


def _release_named(asked: str, known: list[str]) -> str | None:
    """The one indexed release ``asked`` names: as a question names it ("in the first release"),
    or by a month or date alone ("and back in February?")."""
    named = release_asked(asked, known)
    if named is not None:
        return named.release
    found = named_releases(asked, known)
    return found.pop() if len(found) == 1 else None


def _topic_turn(history: list[str], known: list[str]) -> int | None:
    """The newest earlier turn that asks about a topic: not one that only switched release,
    thanked, or asked what changed."""
    for index in range(len(history) - 1, -1, -1):
        turn = history[index]
        if not (
            _release_only(turn, known, follows=index > 0) is not None
            or is_small_talk(turn)
            or is_change_question(turn, known)
        ):
            return index
    return None


def _change_in_one_release(history: list[str], known: list[str]) -> tuple[int, str] | None:
    """The newest earlier turn that asks something, when it asks what changed in one release
    ("What changed about honesty in the December 2025 release?"): its place, and what it asks
    without the release ("What changed about honesty?")."""
    for index in range(len(history) - 1, -1, -1):
        turn = without_small_talk(history[index])
        if is_small_talk(history[index]) or _release_only(turn, known, follows=index > 0):
            continue
        named = release_asked(turn, known)
        asks_change = named is not None and is_change_question(turn, known)
        return (index, named.question) if asks_change and named is not None else None
    return None


def _release_only(question: str, known: list[str], *, follows: bool) -> str | None:
    """The release a follow-up (``follows``) names when it says nothing else, else None."""
    asked = without_small_talk(question)
    if not follows or not _FOLLOWS_ON.search(asked):
        return None
    rest = _RELEASE_ONLY_WORDS.sub(" ", re.sub(r"['’]s\b", "", asked))
    return None if re.search(r"\w", rest) else _release_named(asked, known)
