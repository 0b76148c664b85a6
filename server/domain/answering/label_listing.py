"""A request for the spec's examples by label alone ("Show me examples labelled OK", "List the
BAD examples"), answered with every example that has a reply so labelled, in the spec's order:
there is no topic to rank them by. A request with a topic ("Show me BAD examples about privacy")
is an ordinary question whose examples keep only the replies so labelled (``Evidence.of``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from server.domain.answering.extractive import example_line
from server.domain.precedents.example_view import example_card, only_label
from server.domain.releases.change_questions import named_releases
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.query_cues import asked_label
from server.domain.schemas import Answer

__all__ = ["LabelListing"]

MAX_LISTED = 40
# the words of a request for examples by label: whatever else a question says is its topic
_REQUEST_WORDS = re.compile(
    r"\b(?:show|list|give|find|get|me|us|all|every|the|any|some|of|with|that|which|what|are|is|"
    r"there|have|has|an?|examples?|precedents?|repl(?:y|ies)|responses?|answers?|labell?ed|label|"
    r"marked|rated|judged|as|good|bad|ok|compliant|non-compliant|violating|in|spec|model|release|"
    r"please|can|you|latest|newest|\d{4}(?:-\d{2}-\d{2})?|[a-z]+ \d{4})\b",
    re.IGNORECASE,
)


class LabelListing:
    """Answers "show me the examples labelled X" with every such example of the release."""

    def __init__(self, corpus: Callable[[], Corpus]) -> None:
        self.corpus = corpus

    def answer(self, question: str, release: str | None) -> Answer | None:
        label = asked_label(question)
        if label is None or re.search(r"\w", _REQUEST_WORDS.sub(" ", question)):
            return None  # no label asked, or a topic to answer about
        started = time.perf_counter()
        corpus = self.corpus()
        named = sorted(named_releases(question, corpus.names))
        target = named[-1] if named else corpus.get(release).release
        examples = corpus.get(target).parsed.examples
        cards = only_label([example_card(e, target) for e in examples], label)
        shown = cards[:MAX_LISTED]
        head = f"**Examples with a reply labelled {label}** in {target}: {len(cards)}."
        if len(cards) > len(shown):
            head += f" The first {len(shown)} (`specqa examples search --label {label}` lists all):"
        lines = [head, "", *(example_line(card) for card in shown), ""]
        lines.append(f"*From the examples of release {target}; no model wrote this.*")
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
