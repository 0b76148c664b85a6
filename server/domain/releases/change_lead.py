"""The one line a "when did X appear / get added / change?" answer leads with: the section that
best matches X, the release it first appeared in (under its first id when it was renamed since),
and the releases that changed it after, as its history tells them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from server.domain.releases.history import SectionHistory
from server.domain.retrieval.corpus import lexical_tokens
from specqa.core.spec import ParsedRelease

__all__ = [
    "asks_about_level",
    "asks_first_mention",
    "best_match",
    "first_mention",
    "history_lead",
    "level_story",
    "without_level_words",
]


def best_match(topic: str, sections: Sequence[tuple[str, str]]) -> int:
    """The index in ``sections`` (id, title; best retrieved first) of the one whose title or id
    shares the most words with ``topic``; retrieval order breaks ties. A broad section the
    retriever ranks first (``definitions`` for "under-18 users") then does not lead."""
    wanted = set(lexical_tokens([topic])[0])
    named = lexical_tokens([f"{title} {sid.replace('_', ' ')}" for sid, title in sections])
    scores = [len(wanted.intersection(words)) for words in named]
    return max(range(len(sections)), key=lambda i: (scores[i], -i))


def history_lead(history: SectionHistory, title: str) -> str:
    """E.g. ``**In short:** Under-18 Principles (`chatgpt_u18`) first appeared in 2025-12-18;
    unchanged since.``"""
    events = history.events
    if not events:
        return f"**In short:** {title} (`{history.section_id}`) has no recorded history."
    first = events[0]
    first_id = history.ids.get(first.release, history.section_id)
    named = f"{title} (`{history.section_id}`)"
    when = (
        f"was already in the first indexed release, **{first.release}**"
        if first.kind == "present"
        else f"first appeared in **{first.release}**"
    )
    if first_id != history.section_id:
        when += f" (as `{first_id}`)"
    later: dict[str, list[str]] = {}
    for event in events[1:]:
        later.setdefault(_KINDS.get(event.kind, event.kind), []).append(event.release)
    since = "; ".join(f"{kind} in {_listed(releases)}" for kind, releases in later.items())
    if not since and len(history.present_in) > 1:
        since = "unchanged since"
    return f"**In short:** {named} {when}" + (f"; {since}." if since else ".")


_KINDS = {"authority": "authority changed", "examples": "examples changed"}


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# "Has 'Be warm' always been a guideline?", "…always at root level?", "…its authority"; the
# names "system", "developer" and "user" count only as a level ("system-level"), not alone
_ASKS_LEVEL = re.compile(
    r"\b(?:guidelines?|authority|levels?|root|platform)\b|\b(?:system|developer|user)[- ]level\b",
    re.IGNORECASE,
)


def asks_about_level(question: str) -> bool:
    """Whether a question about a section's history asks about its authority level too."""
    return _ASKS_LEVEL.search(question) is not None


# every word of a level's name, and those asking whether it stayed one ("at the same level")
_LEVEL_WORDS = re.compile(
    r"\b(?:at|same|authority|levels?|root|system|platform|developer|user|guidelines?)\b",
    re.IGNORECASE,
)


def without_level_words(topic: str) -> str:
    """A change question's topic without the words that ask about its level ("erotica at same
    authority level" is about erotica), or "" when nothing else is left."""
    return " ".join(_LEVEL_WORDS.sub(" ", topic).split())


def level_story(releases: Sequence[ParsedRelease], history: SectionHistory) -> str:
    """The section's authority level in each release that holds it, e.g. ``Its authority level:
    guideline in every release that has it.`` or ``…: platform in 2025-02-12 and 2025-04-11; root
    from 2025-09-12.``"""
    spans: list[tuple[str, list[str]]] = []  # (level, releases), in release order
    for parsed in releases:
        section = parsed.section(history.ids.get(parsed.release, history.section_id))
        if parsed.release not in history.present_in or section is None:
            continue
        level = section.authority or "no level"
        if spans and spans[-1][0] == level:
            spans[-1][1].append(parsed.release)
        else:
            spans.append((level, [parsed.release]))
    if len(spans) == 1 and spans[0][0] == "no level":
        return "It has no authority level of its own in any release."
    if len(spans) == 1:
        return f"Its authority level: **{spans[0][0]}** in every release that has it."
    told = [f"**{level}** in {_listed(names)}" for level, names in spans[:-1]]
    told.append(f"**{spans[-1][0]}** from {spans[-1][1][0]}" if spans else "")
    return f"Its authority level: {'; '.join(told)}."


# "Which release first mentioned mania?", "When did the spec start to mention deepfakes?"
# (not "What does it say about lying, and did that change?": its history answers that)
_MENTION = re.compile(
    r"\bmention\w*|\bfirst\s+(?:says?|said|talk(?:s|ed)? about|refer(?:s|red)? to|use[sd]?)\b",
    re.IGNORECASE,
)
MAX_MENTION_WORDS = 3  # a word or a short phrase, not a topic to retrieve


def asks_first_mention(question: str, topic: str) -> bool:
    """Whether a change question asks when a word or phrase first appears in the spec's text."""
    return _MENTION.search(question) is not None and 0 < len(topic.split()) <= MAX_MENTION_WORDS


def first_mention(releases: Sequence[ParsedRelease], phrase: str) -> str | None:
    """The line telling the first release (oldest first in ``releases``) whose sections say
    ``phrase`` (its words in that order, each as a word's start: "mania" finds "manias"), and
    the sections of that release that do. A phrase no release says is None, for the history of
    the section it names ("under-18 users"), but a word no release says is told so."""
    words = [re.escape(w) for w in phrase.lower().split()]
    pattern = re.compile(r"\b" + r"\w*\W+".join(words) + r"\w*", re.IGNORECASE)
    for parsed in releases:
        saying = [s.id for s in parsed.sections if pattern.search(f"{s.title}\n{s.body}")]
        if saying:
            where = ", ".join(f"`{sid}`" for sid in saying[:4])
            more = f" and {len(saying) - 4} more" if len(saying) > 4 else ""
            first = "the first indexed release, " if parsed is releases[0] else ""
            return f"**In short:** “{phrase}” first appears in {first}**{parsed.release}**, in {where}{more}."
    return None if len(words) > 1 else f"**In short:** no indexed release says “{phrase}”."
