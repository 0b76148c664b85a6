"""Release and section names as users type them: ``latest`` for the newest release, and a
did-you-mean for a name that is not there."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = ["LATEST", "did_you_mean", "resolve_release"]

LATEST = "latest"
SUGGESTION_CUTOFF = 0.6  # difflib's default: close enough to be a typo, not a different word


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest known name, or ``""`` when none is close; case,
    spaces and hyphens aside ("DO_NOT_LIE", "Do not lie" and "do-not-lie" name ``do_not_lie``)."""
    folded = {_folded(known_name): known_name for known_name in known}
    close = difflib.get_close_matches(_folded(name), list(folded), n=1, cutoff=SUGGESTION_CUTOFF)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def _folded(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def resolve_release(name: str | None, known: list[str]) -> str | None:
    """``latest`` (any case) is the newest of ``known``; any other name is returned as given."""
    if name is not None and name.strip().lower() == LATEST and known:
        return max(known)
    return name
