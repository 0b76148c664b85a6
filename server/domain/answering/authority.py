"""What a section's authority level means: in full (a section card) and in a few words for whoever
wants to change the rule (an answer's quotes and its bottom line)."""

from __future__ import annotations

__all__ = ["AUTHORITY_MEANING", "PLAIN_MEANING", "authority_meaning", "plain_meaning"]

AUTHORITY_MEANING = {
    "root": "root: a hard rule from the Model Spec itself; no system, developer or user instruction can override it",
    "system": "system: set by OpenAI (the spec or a system message); developers and users cannot override it",
    "platform": "platform (the older name for root/system): developers and users cannot override it",
    "developer": "developer: a default that developers can override; users can only within what the developer allows",
    "user": "user: a default that the user or the developer can override explicitly",
    "guideline": "guideline: a default that developers or users can override, even implicitly through context",
}
_NO_AUTHORITY = "no authority level of its own: an explanatory or grouping section"
PLAIN_MEANING = {
    "root": "a root rule: no system message, developer or user can change it",
    "system": "a system-level rule from OpenAI: no developer or user can change it",
    "platform": "a platform rule (the older name for root and system): no developer or user can change it",
    "developer": "a developer-level default: a developer can change it, a user only where the "
    "developer allows",
    "user": "a user-level default: a developer or the user can change it",
    "guideline": "a guideline-level default: a developer or the user can change it, even implicitly",
}
_NO_AUTHORITY_PLAIN = "an explanatory section with no authority level of its own"


def authority_meaning(authority: str | None) -> str:
    return AUTHORITY_MEANING.get(authority or "", _NO_AUTHORITY)


def plain_meaning(authority: str | None) -> str:
    """What an authority level means for whoever wants to change the rule, in a few words."""
    return PLAIN_MEANING.get(authority or "", _NO_AUTHORITY_PLAIN)
