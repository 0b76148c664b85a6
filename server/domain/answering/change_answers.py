"""Questions about change ("what changed about honesty in the December 2025 release?", "when did
guidance on under-18 users appear?", "what was removed in the December release?") answered from
release diffs (the one-line note an answer gets when its governing section changed since is in
``release_note``).

Three kinds of answer, all without a model:
* a whole release (no topic left once the change words are taken out): what matters first, i.e.
  sections added, removed and renamed, authority changes, rules whose wording changed with the
  changed sentences, examples, and trivial edits last;
* a topic between named releases: the diff of the sections about it, sentence by sentence;
* a topic and no release: the history of those sections, from "present since the first indexed
  release" (or the release that added it) to each later change.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from server.domain.answering.change_span import compared_span, first_release_where
from server.domain.answering.confidence import confidence_of
from server.domain.answering.lead import is_covered
from server.domain.answering.lead_text import unindexed_notice, with_notice
from server.domain.answering.links import Links
from server.domain.answering.quoting import best_sentences
from server.domain.answering.release_note import span_diff
from server.domain.releases.change_lead import (
    asks_about_level,
    asks_first_mention,
    best_match,
    first_mention,
    history_lead,
    level_story,
    without_level_words,
)
from server.domain.releases.change_questions import (
    NAMED_SECTION,
    ChangeQuestion,
    about_the_earlier_topic,
    asked_change_kind,
    parse_change_question,
)
from server.domain.releases.diff_markdown import (
    counts_line,
    example_bullets,
    examples_markdown,
    rename_fact,
    render_diff_markdown,
    sentence_bullets,
)
from server.domain.releases.example_diff import folded_title
from server.domain.releases.history import SectionHistory, section_history
from server.domain.retrieval.corpus import Corpus, section_ids_in
from server.domain.retrieval.hybrid import HybridRetriever
from server.domain.schemas import Answer, Citation, from_the_spec_structure, section_citation
from specqa.core.memo import IndexMemo

__all__ = ["ChangeAnswerer", "ChangeQuestion", "parse_change_question"]

# a topic that is the spec's examples themselves: the release's example changes answer it
_THE_EXAMPLES = re.compile(
    r"(?:(?:the|any|all|new|labell?ed|spec'?s?)\s+)*(?:examples?|example conversations|precedents)",
    re.IGNORECASE,
)

# a question that names the spec or one of its sections is about the spec's text whatever else
# it speaks of; one that does not ("What changed in the tax rules this year?") may be about the world
_NAMES_THE_SPEC = re.compile(
    rf"\b(?:spec|specs|sections?|rulebook|guidelines?|releases?)\b|{NAMED_SECTION}|"
    # "When was the rule about real-world ties introduced?": one of its rules, by its topic
    r"\b(?:the|its|a|that|this) (?:rule|principle)s? (?:about|on|against|for|of)\b",
    re.IGNORECASE,
)

MAX_RELEASE_CITATIONS = 8
# a change question's second section is told only when it matches the topic nearly as well as the
# first ("teen": both teen sections; "privacy": not the privileged-information one)
TOPIC_SCORE_SHARE = 0.75


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

    def added_after(self, query: str, release: str | None) -> str | None:
        """A notice when the section the newest release clearly answers ``query`` with came after
        ``release``, so that ``release`` has none on it (the scope of an agent's autonomy, asked
        of 2025-02-12): its own answer is the nearest it has, not its word on the matter."""
        corpus = self.corpus()
        asked = corpus.get(release).release if release is not None else corpus.newest
        if asked == corpus.newest:
            return None
        ranked = self.retriever.search(query, corpus.newest, k_sections=2, k_examples=0)
        if not ranked.sections or confidence_of(ranked.clarity) != "high":
            return None
        section = ranked.sections[0].section
        present = self._history(corpus, section.id).present_in
        if not present or asked in present or present[0] < asked:
            return None
        return (
            f"the newest release answers this with “{section.title}” (`{section.id}`), a section "
            f"added in {present[0]}: {asked} has no such section"
        )

    def answer(
        self, question: str, release: str | None, earlier: str | None = None
    ) -> Answer | None:
        """The answer to a change question, or None when ``question`` is not one. ``earlier``:
        the conversation's question before, the topic of one that points back to it ("did that
        change since February?") and names none of its own."""
        corpus = self.corpus()
        release = corpus.get(release).release if release is not None else None
        parsed = parse_change_question(question, corpus.names)
        if parsed is None:
            return None
        # "When were those examples added?" is about the earlier topic, whatever its own words
        points_back = (
            earlier if earlier and about_the_earlier_topic(question, parsed.topic) else None
        )
        if not (parsed.releases or points_back) and self._about_the_world(question, corpus):
            return None
        if points_back:
            parsed = replace(parsed, topic=points_back)
        started = time.perf_counter()
        before, target = compared_span(parsed, release, corpus)
        head = [
            "*Answered from the release diffs; no model wrote this. "
            f"Releases indexed: {', '.join(corpus.names)}.*",
            "",
        ]
        lead: list[str] = []
        if not parsed.topic or _THE_EXAMPLES.fullmatch(parsed.topic):
            # "Which examples were added in October?": those added first
            first = asked_change_kind(question)
            lines, citations = self._release_lines(corpus, before, target, parsed.topic, first)
        else:
            # "…always been at the same level?" (not "What changed about the levels of authority?")
            unlevelled = without_level_words(parsed.topic)
            asks_level = asks_about_level(question) and bool(unlevelled)
            topic = unlevelled if asks_level else parsed.topic
            topics = self._topics(corpus, topic)
            if topics:  # the section the topic names first ("Is 'Be approachable' still in…?")
                topics.insert(0, topics.pop(best_match(topic, topics)))
            releases = [corpus.get(name).parsed for name in corpus.names]
            mentioned = asks_first_mention(question, topic) and not parsed.releases
            mention = first_mention(releases, topic) if mentioned else None  # "…mention mania?"
            if mention is not None:
                lead = [mention, ""]
            elif not parsed.releases and topics:  # "when did X appear?": the one-line answer
                history = self._history(corpus, topics[0][0])
                lead = [history_lead(history, topics[0][1]), ""]
                if asks_level:  # "Has 'Be warm' always been a guideline?"
                    lead.insert(1, level_story(releases, history))
            lines, citations = self._topic_lines(corpus, parsed, topics, before, target)
        compared = f"{before} with {target}" if before else target
        notice = unindexed_notice(parsed.unindexed, f"this compares {compared}")
        text = with_notice("\n".join(lead + head + lines).strip(), notice)
        return from_the_spec_structure(question, target, text, started, citations, notice=notice)

    def _about_the_world(self, question: str, corpus: Corpus) -> bool:
        """Whether a change question that names no release, nor the spec or a section of it, is
        one the spec does not cover ("Did the EU AI Act get stricter in its final version?", "when
        was the first iphone released"): the ordinary answer says so, where a diff would answer
        another thing."""
        if _NAMES_THE_SPEC.search(question):
            return False
        ranked = self.retriever.search(question, corpus.newest, k_sections=2, k_examples=0)
        return not is_covered(question, ranked)

    # --- a whole release --------------------------------------------------------------------
    def _release_lines(
        self, corpus: Corpus, before: str | None, target: str, examples: str, first: str | None
    ) -> tuple[list[str], list[Citation]]:
        """A whole release's changes; ``examples``: the topic, when it is the examples alone."""
        if before is None:
            return [f"{target} is the oldest indexed release: nothing earlier to compare with."], []
        old, new = corpus.get(before).parsed, corpus.get(target).parsed
        diff = span_diff(corpus, before, target)
        shown = (
            examples_markdown(diff, new, first)
            if examples
            else render_diff_markdown(diff, old, new, first)
        )
        lines = [  # the link before the long list, so a surface that shows only the start has it
            counts_line(diff),
            "",
            f"[Side-by-side diff]({self.links.diff(before, target)})",
            "",
            shown.strip(),
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
        self,
        corpus: Corpus,
        parsed: ChangeQuestion,
        topics: list[tuple[str, str]],
        before: str | None,
        target: str,
    ) -> tuple[list[str], list[Citation]]:
        lines: list[str] = []
        citations: list[Citation] = []
        seen: set[str] = set()
        for section_id, title in topics:
            if section_id in seen:
                continue
            if parsed.releases:
                facts, same = self._diff_lines(corpus, before, target, section_id)
                if not facts and section_id == topics[0][0]:  # "Is it still in…?": say so
                    facts = self._unchanged_lines(corpus, before, target, section_id)
                cited = [r for r in (before, target) if r]
            else:
                history = self._history(corpus, section_id)
                same = set(history.ids.values())
                facts = self._history_lines(history, corpus.names)
                cited = [corpus.names[0], corpus.newest]
            seen |= same | {section_id}
            if not facts:
                continue
            lines += [f"**{title}** (`{section_id}`)", *facts, ""]
            citations += self._citations(corpus, section_id, cited, parsed.topic, same)
        if not lines:  # not one section of the topic to speak of
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
        # a section id the topic names outright ("what changed in be_kind?"), in any release:
        # that section alone (a ranking would add "Be warm" for "be_kind")
        everywhere = [
            s for name in reversed(corpus.names) for s in corpus.get(name).parsed.sections
        ]
        ids = set(section_ids_in(topic, {s.id for s in everywhere}))
        named = {s.id: s.title for s in everywhere if s.id in ids}
        if named:
            return list(named.items())
        # a title the topic names outright, in any release, whatever the ranking says
        found = {
            s.id: s.title
            for name in reversed(corpus.names)
            for s in corpus.get(name).parsed.sections
            if folded_title(s.title) == folded_title(topic)
        }
        newest = corpus.get(corpus.newest).parsed
        hits = self.retriever.search(topic, corpus.newest, k_sections=2, k_examples=0).sections
        for hit in hits:
            if hit.score < TOPIC_SCORE_SHARE * hits[0].score:  # another topic: padding
                continue
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
    ) -> tuple[list[str], set[str]]:
        """The facts about one section from ``before`` to ``target``, and the ids it has there
        (renames followed through the releases between, as its history does)."""
        if before is None:  # "Was that rule already in the February 2025 release?"
            history = self._history(corpus, section_id)
            present, same = history.present_in, set(history.ids.values())
            where = (
                f"in {target}" if target in present else f"not in {target}: added in {present[0]}"
            )
            return [f"- {where} ({target} is the oldest indexed release)"], same
        old, new = corpus.get(before).parsed, corpus.get(target).parsed
        if old.section(section_id) is None and new.section(section_id) is None:
            return [], set()
        diff = span_diff(corpus, before, target, section_id)
        same = {section_id} | {i for r in diff.renamed for i in (r.from_id, r.to_id)}
        link = f"[diff]({self.links.diff(before, target, section_id)})"
        if section_id in diff.added:
            added = first_release_where(
                corpus, before, target, lambda p: p.section(section_id) is not None
            )
            return [f"- Added in {added} (not in {before}). {link}"], same
        if section_id in diff.removed:
            gone = first_release_where(
                corpus, before, target, lambda p: p.section(section_id) is None
            )
            return [f"- Removed in {gone} (present in {before}). {link}"], same
        facts = [rename_fact(r) for r in diff.renamed]
        facts += [
            f"- authority {a.from_authority} → {a.to_authority}" for a in diff.authority_changed
        ]
        for change in diff.changes:
            if change.significance == "trivial":  # a dash or a comma: not a change to read
                facts.append(f"- only trivial edits ({change.summary})")
            else:
                facts += [f"- {change.summary}", *sentence_bullets(change.sentences)]
        if diff.examples and not diff.changes:
            facts.append("- examples changed")
        for examples in diff.examples.values():  # how each example's replies changed, not a count
            facts += example_bullets(examples)
        return ([*facts, f"- {link}"] if facts else []), same

    def _unchanged_lines(
        self, corpus: Corpus, before: str | None, target: str, section_id: str
    ) -> list[str]:
        """What the best-matching section did between ``before`` and ``target`` when it did not
        change: it is in both, unchanged; or in neither, added later or removed earlier ("Is "Be
        curious" in the April release?" must not read "no change")."""
        history = self._history(corpus, section_id)
        present = history.present_in
        if not present or before is None or history.ids.get(target, section_id) != section_id:
            return []  # renamed since: told under the id it has there, if at all
        if before in present and target in present:  # "Is it still in…?": since when, too
            return [f"- in {target}, unchanged since {before}; present since {present[0]}"]
        if present[0] > target:
            return [f"- not in {before} or {target}: added in {present[0]}"]
        if present[-1] < before:
            names = corpus.names
            gone = names[names.index(present[-1]) + 1]
            return [f"- not in {before} or {target}: removed in {gone} (last in {present[-1]})"]
        return []

    def _citations(
        self,
        corpus: Corpus,
        section_id: str,
        releases: list[str],
        topic: str,
        aliases: Iterable[str] = (),
    ) -> list[Citation]:
        """The section in each of ``releases``, under whichever of its ids that release has."""
        citations = []
        for name in dict.fromkeys(releases):
            parsed = corpus.get(name).parsed
            found = (parsed.section(sid) for sid in (section_id, *sorted(aliases)))
            section = next((s for s in found if s is not None), None)
            if section is None:
                continue
            quote = best_sentences(section.body, topic or section.title)
            citations.append(section_citation(name, section, quote))
        return citations
