"""A request for the spec's examples by label alone ("Show me examples labelled OK", "List the
BAD examples"), answered with every example that has a reply so labelled, in the spec's order:
there is no topic to rank them by. A request with a topic ("Show me BAD examples about privacy")
is an ordinary question whose examples keep only the replies so labelled (``Evidence.of``). "How
many (BAD) examples does the spec have?" is answered with the counts."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from server.domain.answering.extractive import example_line
from server.domain.precedents.example_view import example_card, only_label
from server.domain.releases.change_questions import named_releases
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.query_cues import asked_label
from server.domain.schemas import Answer
from specqa.core.spec import Example

__all__ = ["LabelListing"]

MAX_LISTED = 40
_SEARCH = "specqa examples search"
_HOW_MANY = re.compile(
    r"\b(?:how many|number of|count)\b(?=.*\b(?:examples?|precedents?|repl(?:y|ies)|responses?)\b)",
    re.IGNORECASE,
)
# the words of a request for examples by label: whatever else a question says is its topic
_REQUEST_WORDS = re.compile(
    r"\b(?:show|list|give|find|get|me|us|all|every|the|any|some|of|with|that|which|what|are|is|"
    r"there|have|has|an?|examples?|precedents?|repl(?:y|ies)|responses?|answers?|labell?ed|label|"
    r"marked|rated|judged|as|good|bad|ok|compliant|non-compliant|violating|in|spec|model|release|"
    r"please|can|you|latest|newest|how|many|number|count|total|altogether|does|do|contains?|"
    r"holds?|did|\d{4}(?:-\d{2}-\d{2})?|[a-z]+ \d{4})\b",
    re.IGNORECASE,
)


class LabelListing:
    """Answers "show me the examples labelled X" with every such example of the release."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self.corpus = corpus

    def answer(self, question: str, release: str | None) -> Answer | None:
        label = asked_label(question)
        counting = _HOW_MANY.search(question) is not None
        if label is None and not counting:
            return None
        if re.search(r"\w", _REQUEST_WORDS.sub(" ", question)):
            return None  # a topic to answer about
        started = time.perf_counter()
        corpus = self.corpus()
        named = sorted(named_releases(question, corpus.names))
        target = named[-1] if named else corpus.get(release).release
        examples = corpus.get(target).parsed.examples
        cards = only_label([example_card(e, target) for e in examples], label)
        if counting:
            lines, shown = [_counts(examples, label, target)], []
        else:
            shown = cards[:MAX_LISTED]
            head = f"**Examples with a reply labelled {label}** in {target}: {len(cards)}."
            if len(cards) > len(shown):
                head += f" The first {len(shown)} (`{_SEARCH} --label {label}` lists all):"
            lines = [head, "", *(example_line(card) for card in shown)]
        lines += ["", f"*From the examples of release {target}; no model wrote this.*"]
        return Answer(
            question=question,
            release=target,
            mode="extractive",
            answer="\n".join(lines),
            verdict=None,
            citations=[],
            examples=shown,
            timings={"total_ms": round((time.perf_counter() - started) * 1000, 2)},
        )


def _counts(examples: list[Example], label: str | None, release: str) -> str:
    """ "How many (BAD) examples…?": the release's examples and their replies, by label."""
    replies = Counter(r.label for e in examples for r in e.responses)
    labelled = sum(1 for e in examples if label in e.labels or (label is None and e.responses))
    if label is not None:
        return (
            f"**Examples with a reply labelled {label}** in {release}: {labelled} "
            f"({replies[label]} {label} replies; `{_SEARCH} --label {label}` lists them)."
        )
    by_label = ", ".join(f"{name} {replies[name]}" for name in ("GOOD", "BAD", "OK"))
    return (
        f"**Examples in {release}:** {len(examples)}, {labelled} of them with labelled replies; "
        f"{sum(replies.values())} replies: {by_label} (`{_SEARCH}` lists them)."
    )
