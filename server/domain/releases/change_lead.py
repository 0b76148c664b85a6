"""The one line a "when did X appear / get added / change?" answer leads with: the section that
best matches X, the release it first appeared in (under its first id when it was renamed since),
and the releases that changed it after, as its history tells them."""

from __future__ import annotations

from collections.abc import Sequence

from server.domain.releases.history import SectionHistory
from server.domain.retrieval.corpus import lexical_tokens

__all__ = ["best_match", "history_lead"]


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
