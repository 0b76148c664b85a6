"""Questions about change ("what changed about honesty in the December 2025 release?", "when did
guidance on under-18 users appear?", "what was removed in the December release?") answered from
release diffs, and the one-line note an answer gets when its governing section changed after the
release it was answered from.

Three kinds of answer, all without a model:
* a whole release (no topic left once the change words are taken out): what matters first, i.e.
  sections added, removed and renamed, authority changes, rules whose wording changed with the
  changed sentences, examples, and trivial edits last;
* a topic between named releases: the diff of the sections about it, sentence by sentence;
* a topic and no release: the history of those sections, from "present since the first indexed
  release" (or the release that added it) to each later change.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from server.domain.change_questions import ChangeQuestion, parse_change_question
from server.domain.corpus import Corpus
from server.domain.diff import ReleaseDiff, diff_releases
from server.domain.diff_markdown import render_diff_markdown, sentence_bullets
from server.domain.extractive import best_sentences
from server.domain.history import SectionHistory, section_history
from server.domain.links import Links
from server.domain.retrieval import HybridRetriever
from server.domain.schemas import Answer, Citation, section_url
from specqa.core.memo import IndexMemo

__all__ = ["ChangeAnswerer", "ChangeQuestion", "parse_change_question", "release_note"]

MAX_RELEASE_CITATIONS = 8


def release_note(corpus: Corpus, release: str, section_id: str, links: Links) -> str | None:
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
    link = links.diff(release, newest, section_id)
    return (
        f"`{section_id}` changed ({what}) between {release} and {newest}: see [the diff]({link})."
    )


class ChangeAnswerer:
    """Answers change questions from the diffs between indexed releases; no model involved."""

    def __init__(
        self, corpus: Callable[[], Corpus], retriever: HybridRetriever, links: Links
    ) -> None:
        self.corpus = corpus
        self.retriever = retriever
        self.links = links
        self._histories: IndexMemo[str, SectionHistory] = IndexMemo()  # pure: per index

    def _history(self, corpus: Corpus, section_id: str) -> SectionHistory:
        def compute() -> SectionHistory:
            return section_history([corpus.get(name).parsed for name in corpus.names], section_id)

        return self._histories.get(corpus.manifest.collection, section_id, compute)

    def answer(self, question: str, release: str | None) -> Answer | None:
        """The answer to a change question, or None when ``question`` is not one."""
        corpus = self.corpus()
        release = corpus.get(release).release if release is not None else None
        parsed = parse_change_question(question, corpus.names)
        if parsed is None:
            return None
        started = time.perf_counter()
        before, target = _span(parsed, release, corpus)
        head = [
            "*Answered from the release diffs; no model wrote this. "
            f"Releases indexed: {', '.join(corpus.names)}.*",
            "",
        ]
        if not parsed.topic:
            lines, citations = self._release_lines(corpus, before, target)
        else:
            lines, citations = self._topic_lines(corpus, parsed, before, target)
        return Answer(
            question=question,
            release=target,
            mode="extractive",
            answer="\n".join(head + lines).strip(),
            verdict=None,
            citations=citations,
            examples=[],
            timings={"total_ms": round((time.perf_counter() - started) * 1000, 2)},
        )

    # --- a whole release --------------------------------------------------------------------
    def _release_lines(
        self, corpus: Corpus, before: str | None, target: str
    ) -> tuple[list[str], list[Citation]]:
        if before is None:
            return [f"{target} is the oldest indexed release: nothing earlier to compare with."], []
        old, new = corpus.get(before).parsed, corpus.get(target).parsed
        diff = diff_releases(old, new)
        lines = [  # the link before the long list, so a surface that shows only the start has it
            _counts_line(diff),
            "",
            f"[Side-by-side diff]({self.links.diff(before, target)})",
            "",
            render_diff_markdown(diff, old, new).strip(),
        ]
        cited = [(target, sid) for sid in diff.added] + [(before, sid) for sid in diff.removed]
        cited += [(target, r.to_id) for r in diff.renamed]
        cited += [(target, c.section_id) for c in diff.changes if c.significance == "meaning"]
        citations = [
            c
            for release, sid in dict.fromkeys(cited)
            for c in self._citations(corpus, sid, [release], "")
        ]
        return lines, citations[:MAX_RELEASE_CITATIONS]

    # --- one topic --------------------------------------------------------------------------
    def _topic_lines(
        self, corpus: Corpus, parsed: ChangeQuestion, before: str | None, target: str
    ) -> tuple[list[str], list[Citation]]:
        lines: list[str] = []
        citations: list[Citation] = []
        seen: set[str] = set()
        for section_id, title in self._topics(corpus, parsed.topic):
            if section_id in seen:
                continue
            if parsed.releases:
                facts = self._diff_lines(corpus, before, target, section_id)
                cited = [r for r in (before, target) if r]
            else:
                history = self._history(corpus, section_id)
                seen |= set(history.ids.values())
                facts = self._history_lines(history, corpus.names)
                cited = [corpus.names[0], corpus.newest]
            seen.add(section_id)
            if not facts:
                continue
            lines += [f"**{title}** (`{section_id}`)", *facts, ""]
            citations += self._citations(corpus, section_id, cited, parsed.topic)
        if not citations:
            span = (
                f"between {before} and {target}"
                if parsed.releases and before
                else "in any indexed release"
            )
            lines.append(f"No change to the sections about *{parsed.topic}* {span}.")
        return lines, citations

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

    def _history_lines(self, history: SectionHistory, names: list[str]) -> list[str]:
        """The section's story: present since the first release (or added), then each change
        with the sentences it changed."""
        lines = []
        for event in history.events:
            if event.kind == "present":
                lines.append(f"- present since the first indexed release ({event.release})")
                continue
            previous = names[names.index(event.release) - 1]
            link = self.links.diff(previous, event.release, history.ids.get(event.release))
            lines.append(f"- **{event.release}** ({event.kind}): {event.summary} ([diff]({link}))")
            lines += sentence_bullets(event.sentences)
        return lines

    def _diff_lines(
        self, corpus: Corpus, before: str | None, target: str, section_id: str
    ) -> list[str]:
        if before is None:
            return [f"- {target} is the oldest indexed release: nothing earlier to compare with."]
        old, new = corpus.get(before).parsed, corpus.get(target).parsed
        if old.section(section_id) is None and new.section(section_id) is None:
            return []
        diff = diff_releases(old, new, section_id)
        link = f"[diff]({self.links.diff(before, target, section_id)})"
        if section_id in diff.added:
            return [f"- Added in {target} (not in {before}). {link}"]
        if section_id in diff.removed:
            return [f"- Removed in {target} (present in {before}). {link}"]
        facts = [f"- renamed: {r.from_title} → {r.to_title}" for r in diff.renamed]
        facts += [
            f"- authority {a.from_authority} → {a.to_authority}" for a in diff.authority_changed
        ]
        for change in diff.changes:
            facts += [f"- {change.summary}", *sentence_bullets(change.sentences)]
        if diff.examples and not diff.changes:
            facts.append("- examples changed")
        return [*facts, f"- {link}"] if facts else []

    def _citations(
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
                    quote=best_sentences(section.body, topic or section.title),
                    url=section_url(name, section_id),
                )
            )
        return citations


def _span(parsed: ChangeQuestion, release: str | None, corpus: Corpus) -> tuple[str | None, str]:
    """The releases to compare: (older, newer); older is None when there is nothing before."""
    named = parsed.releases or ([release] if release else [])
    if parsed.since and named:
        return named[0], named[-1] if len(named) > 1 else corpus.newest
    target = named[-1] if named else corpus.newest
    if len(named) > 1:
        return named[0], target
    return _previous(corpus.names, target), target


def _counts_line(diff: ReleaseDiff) -> str:
    meaning = sum(1 for c in diff.changes if c.significance == "meaning")
    trivial = len(diff.changes) - meaning
    added = len(diff.added)
    return (
        f"From {diff.from_release} to {diff.to_release}: {added} section"
        f"{'' if added == 1 else 's'} added, {len(diff.removed)} removed, "
        f"{len(diff.renamed)} renamed, {len(diff.authority_changed)} authority changes, "
        f"{meaning} reworded, {trivial} with trivial edits only."
    )


def _previous(names: list[str], release: str) -> str | None:
    index = names.index(release)
    return names[index - 1] if index > 0 else None
