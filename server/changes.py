"""Questions about change ("what changed about honesty in the December 2025 release?", "when was
the under-18 guidance added?") answered from release diffs, and the one-line note an answer gets
when its governing section changed after the release it was answered from."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from server.corpus import Corpus
from server.diff import diff_releases, section_history
from server.extractive import best_sentences
from server.retrieval import HybridRetriever
from server.schemas import Answer, Citation, section_url

__all__ = ["ChangeAnswerer", "ChangeQuestion", "parse_change_question", "release_note"]

_CHANGE_WORDS = re.compile(
    r"\b(what(?:'s| has| have)? changed|changes? (?:to|in|about)|what(?:'s| is) new|"
    r"when (?:was|were|did)\b.*\b(?:added|introduced|removed|dropped|changed|renamed)|"
    r"(?:was|were|got) (?:added|introduced|removed|dropped|renamed)|how has .* changed|"
    r"differ(?:ence|ent)? between|history of|diff\b)",
    re.IGNORECASE,
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_FILLER = re.compile(
    r"\b(what|whats|has|have|changed|change|changes|when|was|were|did|added|introduced|removed|"
    r"dropped|renamed|new|in|the|about|to|release|version|spec|model|of|between|and|how|is|"
    r"difference|history|diff|since|on|for|with|guidance|section|rules?|"
    + "|".join(_MONTHS)
    + r"|\d{4}(?:-\d{2}-\d{2})?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChangeQuestion:
    topic: str
    releases: list[str]  # releases the question names, oldest first (may be empty)


def parse_change_question(question: str, known: list[str]) -> ChangeQuestion | None:
    """A change question's topic and named releases, or None for an ordinary question."""
    if not _CHANGE_WORDS.search(question):
        return None
    named = {r for r in _ISO.findall(question) if r in known}
    for month, year in _MONTH_YEAR.findall(question):
        prefix = f"{year}-{_MONTHS[month.lower()]:02d}"
        named |= {r for r in known if r.startswith(prefix)}
    topic = " ".join(_FILLER.sub(" ", re.sub(r"[^\w\s-]", " ", question)).split())
    return ChangeQuestion(topic=topic or question, releases=sorted(named))


def release_note(corpus: Corpus, release: str, section_id: str) -> str | None:
    """One line when ``section_id`` changed between ``release`` and the newest indexed release."""
    newest = corpus.newest
    if release == newest:
        return None
    old, new = corpus.get(release).parsed, corpus.get(newest).parsed
    if old.section(section_id) is None or new.section(section_id) is None:
        return None
    diff = diff_releases(old, new, section_id)
    if not (diff.changed or diff.authority_changed or diff.examples or diff.renamed):
        return None
    what = ", ".join(
        part
        for part, present in (
            ("text", diff.changed),
            ("authority", diff.authority_changed),
            ("examples", diff.examples),
            ("title", diff.renamed),
        )
        if present
    )
    link = f"/v1/diff?from={release}&to={newest}&section={section_id}"
    return (
        f"`{section_id}` changed ({what}) between {release} and {newest}: see [the diff]({link})."
    )


def _history_lines(corpus: Corpus, section_id: str) -> list[str]:
    """One line per release that changed the section (its presence in the oldest is no change)."""
    history = section_history([corpus.get(name).parsed for name in corpus.names], section_id)
    return [
        f"- **{event.release}** ({event.kind}): {event.summary}"
        for event in history.events
        if not (event.kind == "added" and event.release == corpus.names[0])
    ]


class ChangeAnswerer:
    """Answers change questions from the diffs between indexed releases; no model involved."""

    def __init__(self, corpus: Callable[[], Corpus], retriever: HybridRetriever) -> None:
        self.corpus = corpus
        self.retriever = retriever

    def answer(self, question: str, release: str | None) -> Answer | None:
        """The answer to a change question, or None when ``question`` is not one."""
        corpus = self.corpus()
        if release is not None:
            corpus.get(release)
        parsed = parse_change_question(question, corpus.names)
        if parsed is None:
            return None
        started = time.perf_counter()
        named = parsed.releases or ([release] if release else [])
        target = named[-1] if named else corpus.newest
        before = (
            (named[0] if len(named) > 1 else _previous(corpus.names, target)) if named else None
        )
        lines = [
            "*Answered from the release diffs; no model wrote this. "
            f"Releases indexed: {', '.join(corpus.names)}.*",
            "",
        ]
        citations: list[Citation] = []
        for section_id, title in self._topics(corpus, parsed.topic):
            facts = (
                self._diff_lines(corpus, before, target, section_id)
                if named
                else _history_lines(corpus, section_id)
            )
            if not facts:
                continue
            lines += [f"**{title}** (`{section_id}`)", *facts, ""]
            cited = [before, target] if named else [corpus.names[0], corpus.newest]
            citations += self._release_citations(
                corpus, section_id, [r for r in cited if r], parsed.topic
            )
        if not citations:
            span = (
                f"between {before} and {target}" if named and before else "in any indexed release"
            )
            lines.append(f"No change to the sections about *{parsed.topic}* {span}.")
        return Answer(
            question=question,
            release=target,
            mode="extractive",
            answer="\n".join(lines).strip(),
            verdict=None,
            citations=citations,
            examples=[],
            timings={"total_ms": round((time.perf_counter() - started) * 1000, 2)},
        )

    def _topics(self, corpus: Corpus, topic: str) -> list[tuple[str, str]]:
        """The sections a change question is about: the best matches (in any release) and, for a
        grouping section, its children, since that is where the text lives."""
        found: dict[str, str] = {}
        newest = corpus.get(corpus.newest).parsed
        for hit in self.retriever.search(topic, corpus.newest, k_sections=2, k_examples=0).sections:
            found.setdefault(hit.section.id, hit.section.title)
            if hit.section.authority is None:
                found.update(
                    {c.id: c.title for c in newest.sections if hit.section.id in c.parents}
                )
        oldest = corpus.names[0]
        for hit in self.retriever.search(topic, oldest, k_sections=2, k_examples=0).sections:
            if newest.section(hit.section.id) is None:  # removed since: still part of the story
                found.setdefault(hit.section.id, hit.section.title)
        return list(found.items())[:8]

    def _diff_lines(
        self, corpus: Corpus, before: str | None, target: str, section_id: str
    ) -> list[str]:
        if before is None:
            return [f"- {target} is the oldest indexed release: nothing earlier to compare with."]
        old, new = corpus.get(before).parsed, corpus.get(target).parsed
        if old.section(section_id) is None and new.section(section_id) is None:
            return []
        diff = diff_releases(old, new, section_id)
        link = f"[diff](/v1/diff?from={before}&to={target}&section={section_id})"
        if section_id in diff.added:
            return [f"- Added in {target} (not in {before}). {link}"]
        if section_id in diff.removed:
            return [f"- Removed in {target} (present in {before}). {link}"]
        facts = [f"- {change.summary}" for change in diff.changes]
        facts += [
            f"- authority {a.from_authority} → {a.to_authority}" for a in diff.authority_changed
        ]
        facts += [f"- renamed: {r.from_title} → {r.to_title}" for r in diff.renamed]
        if diff.examples and not diff.changes:
            facts.append("- examples changed")
        return [*facts, f"- {link}"] if facts else []

    def _release_citations(
        self, corpus: Corpus, section_id: str, releases: list[str], topic: str
    ) -> list[Citation]:
        citations = []
        for name in dict.fromkeys(releases):
            section = corpus.get(name).parsed.section(section_id)
            if section is None:
                continue
            citations.append(
                Citation(
                    section_id=section_id,
                    title=section.title,
                    authority=section.authority,
                    release=name,
                    quote=best_sentences(section.body, topic),
                    url=section_url(name, section_id),
                )
            )
        return citations


def _previous(names: list[str], release: str) -> str | None:
    index = names.index(release)
    return names[index - 1] if index > 0 else None
