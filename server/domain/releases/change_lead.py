"""The one line a "when did X appear / get added / change?" answer leads with: the section that
best matches X, the release it first appeared in (under its first id when it was renamed since),
and the releases that changed it after, as its history tells them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from server.domain.releases.history import SectionHistory
from server.domain.retrieval.corpus import lexical_tokens
from specqa.core.spec import ParsedRelease

__all__ = ["asks_about_level", "best_match", "history_lead", "level_story"]


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


# "Has 'Be warm' always been a guideline?", "…always at root level?", "…its authority"
_ASKS_LEVEL = re.compile(
    r"\b(?:guidelines?|authority|levels?|root|platform)\b|\b(?:system|developer|user)[- ]level\b",
    re.IGNORECASE,
)


def asks_about_level(question: str) -> bool:
    """Whether a question about a section's history asks about its authority level too."""
    return _ASKS_LEVEL.search(question) is not None


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
