"""A request for the spec's examples by label alone ("Show me examples labelled OK", "List the
BAD examples"), answered with every example that has a reply so labelled, in the spec's order:
there is no topic to rank them by. A request with a topic ("Show me BAD examples about privacy")
is an ordinary question whose examples keep only the replies so labelled (``Evidence.of``). "How
many (BAD) examples does the spec have?" is answered with the counts, and "How many examples are
at root level?" or "…per authority level?" with the counts of the sections at each level."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from server.domain.answering.extractive import example_line
from server.domain.answering.level_listing import LEVEL_WORDS, LEVELS, levels_named
from server.domain.precedents.example_view import example_card, only_label
from server.domain.releases.change_questions import named_releases
from server.domain.retrieval.corpus import Corpus, section_ids_in
from server.domain.retrieval.query_cues import asked_label
from server.domain.retrieval.results import SearchFilters
from server.domain.schemas import Answer, ExampleCard, from_the_spec_structure, section_citation
from specqa.core.spec import Example, ParsedRelease, Section

__all__ = ["LabelListing"]

MAX_LISTED = 40
_TITLE_CHARS = 6  # a shorter title ("Be") is a word of any question
_HEAD_WORDS = 3
_SECTION_WORDS = re.compile(r"\b(?:sections?|subsections?|rules?|parts?|chapters?)\b", re.I)
_SEARCH = "specqa examples search"
_HOW_MANY = re.compile(
    r"\b(?:how many|number of|count)\b(?=.*\b(?:examples?|precedents?|repl(?:y|ies)|responses?)\b)",
    re.IGNORECASE,
)
_PER_LEVEL = re.compile(
    r"\b(?:each|every|per|by)\s+(?:authority\s+)?level|\bby\s+authority\b", re.IGNORECASE
)
# the words of a request for examples by label: whatever else a question says is its topic
_REQUEST_WORDS = re.compile(
    r"\b(?:show|list|give|find|get|me|us|all|every|the|any|some|of|with|that|which|what|are|is|"
    r"there|have|has|an?|examples?|precedents?|repl(?:y|ies)|responses?|answers?|labell?ed|label|"
    r"marked|rated|judged|as|good|bad|ok|compliant|non-compliant|violating|in|spec|model|release|"
    r"please|can|you|latest|newest|how|many|number|count|total|altogether|does|do|contains?|"
    r"holds?|did|were|was|had|been|exist(?:ed|s)?|\d{4}(?:-\d{2}-\d{2})?|[a-z]+ \d{4})\b",
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
        started = time.perf_counter()
        corpus = self.corpus()
        named = sorted(named_releases(question, corpus.names))
        target = named[-1] if named else corpus.get(release).release
        parsed = corpus.get(target).parsed
        section, rest = _section_named(parsed, question) if counting else (None, question)
        levels = _levels_counted(rest) if counting else None
        if levels is not None:
            rest = LEVEL_WORDS.sub(" ", rest)
        if re.search(r"\w", _REQUEST_WORDS.sub(" ", rest)):
            return None  # a topic to answer about
        examples = [e for e in parsed.examples if section is None or _under(parsed, e, section)]
        cards = only_label([example_card(e, target) for e in examples], label)
        shown: list[ExampleCard] = []
        if levels is not None:
            lines = _counts_by_level(parsed, examples, label, levels)
        elif counting:
            lines = [_counts(examples, label, target, section)]
        else:
            shown = cards[:MAX_LISTED]
            head = f"**Examples with a reply labelled {label}** in {target}: {len(cards)}."
            if len(cards) > len(shown):
                head += f" The first {len(shown)} (`{_SEARCH} --label {label}` lists all):"
            lines = [head, "", *(example_line(card) for card in shown)]
        lines += ["", f"*From the examples of release {target}; no model wrote this.*"]
        citations = [section_citation(target, section)] if section else []
        return from_the_spec_structure(
            question, target, "\n".join(lines), started, citations, shown
        )


def _levels_counted(question: str) -> list[str] | None:
    """The authority levels a count of examples is asked by ("How many examples are at root
    level?"; "…per authority level?" is every level), or None if it names none."""
    if _PER_LEVEL.search(question):
        return list(LEVELS)
    return levels_named(question) or None


def _counts_by_level(
    parsed: ParsedRelease, examples: list[Example], label: str | None, levels: list[str]
) -> list[str]:
    """ "How many (BAD) examples are at root level?": the examples of the sections at each
    level, and their replies by label (a release before 2025-09-12 has "platform" for root and
    system, and a level no section has is left out of "each level")."""
    asked = f" with a reply labelled {label}" if label else ""
    lines = [f"**Examples{asked} by authority level** in {parsed.release}:"]
    sections = {s.id: s for s in parsed.sections}
    for level in levels:
        at_level = [  # as `specqa examples search --authority` lists them
            e for e in examples if SearchFilters(authority=level).admits(sections[e.section_id])
        ]
        replies = Counter(r.label for e in at_level for r in e.responses)
        labelled = sum(1 for e in at_level if label in e.labels or (label is None and e.responses))
        if not at_level and len(levels) > 1:
            continue
        if label:
            lines.append(f"- {level}: {labelled} examples ({replies[label]} {label} replies)")
        else:
            by_label = ", ".join(f"{name} {replies[name]}" for name in ("GOOD", "BAD", "OK"))
            lines.append(f"- {level}: {labelled} examples; replies {by_label}")
    search = f"{_SEARCH} --release {parsed.release} --authority LEVEL"
    return [*lines, "", f"`{search}" + (f" --label {label}`" if label else "`") + " lists them."]


def _section_named(parsed: ParsedRelease, question: str) -> tuple[Section | None, str]:
    """The section a count is asked of, by its id, its whole title ("How many examples are in
    the Stay in bounds section?") or the title's head before a comma ("Be thorough but
    efficient" of "…, while respecting length limits"), and the question without it."""
    lowered = question.lower()
    names = [(name, s) for s in parsed.sections for name in dict.fromkeys(_names_of(s.title))]
    for name, section in sorted(names, key=lambda pair: -len(pair[0])):
        if len(name) >= _TITLE_CHARS and name.lower() in lowered:
            rest = re.sub(re.escape(name), " ", question, flags=re.IGNORECASE)
            return section, _SECTION_WORDS.sub(" ", rest)
    for section_id in section_ids_in(question, {s.id for s in parsed.sections}):
        rest = re.sub(re.escape(section_id), " ", question, flags=re.IGNORECASE)
        return parsed.section(section_id), _SECTION_WORDS.sub(" ", rest)
    return None, question


def _names_of(title: str) -> tuple[str, ...]:
    """A title, and its head before a comma when that names a rule ("Be thorough but
    efficient"), not half a list ("Avoid factual") or a condition ("When appropriate")."""
    head = title.split(",")[0].split(":")[0].strip()
    return (title, head) if len(head.split()) >= _HEAD_WORDS else (title,)


def _under(parsed: ParsedRelease, example: Example, section: Section) -> bool:
    """Whether ``example`` is of ``section`` or one of its subsections (as the precedent filter
    ``--section`` counts)."""
    own = parsed.section(example.section_id)
    return own is not None and SearchFilters(section=section.id).admits(own)


def _counts(
    examples: list[Example], label: str | None, release: str, section: Section | None
) -> str:
    """ "How many (BAD) examples…?": the release's examples (or a section's, its subsections'
    included) and their replies, by label."""
    replies = Counter(r.label for e in examples for r in e.responses)
    labelled = sum(1 for e in examples if label in e.labels or (label is None and e.responses))
    # the release named, or the hint lists the newest's
    search = f"{_SEARCH} --release {release}" + (f" --section {section.id}" if section else "")
    where = f"{section.title} (`{section.id}`, its subsections included)" if section else ""
    if label is not None:
        return (
            f"**Examples with a reply labelled {label}** in {where + ', ' if where else ''}"
            f"{release}: {labelled} ({replies[label]} {label} replies; `{search} --label {label}` "
            "lists them)."
        )
    by_label = ", ".join(f"{name} {replies[name]}" for name in ("GOOD", "BAD", "OK"))
    return (
        f"**Examples in {where + ', ' if where else ''}{release}:** {len(examples)}, {labelled} "
        f"of them with labelled replies; {sum(replies.values())} replies: {by_label} "
        f"(`{search}` lists them)."
    )
