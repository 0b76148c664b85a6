"""Everything a surface shows that is not an answer: search, sections, precedents, releases, diffs
and histories, all read from the index. :class:`~server.domain.answering.service.AnsweringService` adds the
answers on top; surfaces only ever hold that one service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.domain.answering.authority import authority_meaning
from server.domain.answering.confidence import confidence_of
from server.domain.answering.quoting import best_sentences
from server.domain.precedents.example_view import example_card, only_label
from server.domain.precedents.matcher import PrecedentMatcher, PrecedentVerdict
from server.domain.releases.diff import ReleaseDiff, diff_releases
from server.domain.releases.history import SectionHistory, section_history
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.hybrid import HybridRetriever, SearchFilters
from server.domain.schemas import (
    Confidence,
    ExampleCard,
    ExamplesResponse,
    SearchResponse,
    SectionCard,
    section_url,
)
from server.domain.settings import DomainSettings
from specqa.core.errors import InputError, UnknownSectionError
from specqa.core.spec import ParsedRelease
from specqa.core.text import without_controls

__all__ = [
    "PRECEDENT_CANDIDATES",
    "Comparison",
    "IndexStatus",
    "ReleaseList",
    "SearchFilters",
    "SpecLookups",
    "releases_between",
]

PRECEDENT_CANDIDATES = 10  # retrieved examples whose responses a pasted reply is compared with


@dataclass(frozen=True)
class ReleaseList:
    names: list[str]  # oldest first
    newest: str


@dataclass(frozen=True)
class IndexStatus:
    """The open index, as readiness reports it."""

    collection: str
    releases: list[str]  # oldest first
    embed_model: str  # what the index was built with
    query_model: str | None  # what queries embed with, once the index has opened its own


@dataclass(frozen=True)
class Comparison:
    """A diff with the two releases it was made from (for titles and links)."""

    diff: ReleaseDiff
    old: ParsedRelease
    new: ParsedRelease


class SpecLookups:
    def __init__(
        self,
        settings: DomainSettings,
        corpus: Callable[[], Corpus],
        retriever: HybridRetriever,
        precedents: PrecedentMatcher | None = None,
    ) -> None:
        self.settings = settings
        self.corpus = corpus
        self.retriever = retriever
        self.precedents = precedents

    def validate_question(self, question: str) -> str:
        """The question without control characters (bidirectional ones included), or an
        :class:`InputError` saying why not."""
        if not isinstance(question, str):
            raise InputError("question must be a string")
        cleaned = without_controls(question).strip()
        if not cleaned:
            raise InputError("question is empty")
        limit = self.settings.answers.max_question_chars
        if len(cleaned) > limit:
            raise InputError(
                f"question is longer than {limit} characters ({len(cleaned)}): shorten it, or "
                "ask about one situation at a time"
            )
        return cleaned

    def validate_history(self, history: list[str] | None) -> list[str]:
        """Earlier turns cleaned like questions (turns that are not text, or are empty, dropped),
        each cut to ``max_history_turn_chars``, and only the newest that fit ``max_history_chars``
        in all: they are a follow-up's context, not the question, so a long conversation is
        trimmed rather than refused (a chat client resends it whole and cannot shorten it)."""
        turns = (without_controls(turn).strip() for turn in history or [] if isinstance(turn, str))
        per_turn, budget = (
            self.settings.answers.max_history_turn_chars,
            self.settings.answers.max_history_chars,
        )
        kept: list[str] = []
        for turn in reversed([turn for turn in turns if turn]):
            cut = _cut(turn, min(per_turn, budget))
            if not cut:
                break
            kept.append(cut)
            budget -= len(cut)
        return kept[::-1]

    # --- search and precedents --------------------------------------------------------------
    def search(
        self,
        query: str,
        release: str | None = None,
        filters: SearchFilters | None = None,
        k: int = 5,
    ) -> SearchResponse:
        query = self.validate_question(query)
        result = self.retriever.search(query, release, filters, k_sections=k, k_examples=k)
        return SearchResponse(
            query=query,
            release=result.release,
            sections=[
                self._section_card(result.release, hit.section.id, score=round(hit.score, 5))
                for hit in result.sections
            ],
            examples=[example_card(h.example, result.release) for h in result.examples],
            timings=result.timings,
        )

    def snippets(self, found: SearchResponse, query: str, max_chars: int) -> dict[str, str]:
        """Each found section's sentences that best answer ``query``, within ``max_chars``."""
        return {
            s.id: best_sentences(s.body or s.title, query, max_chars=max_chars)
            for s in found.sections
        }

    def ranked_sections(
        self, question: str, release: str | None = None, k: int = 10
    ) -> tuple[list[str], Confidence]:
        """The ids of the ``k`` sections ranked first for ``question`` and how clearly the first
        won (what the retrieval eval measures)."""
        result = self.retriever.search(question, release, k_sections=k, k_examples=0)
        return [hit.section.id for hit in result.sections], confidence_of(result.clarity)

    def find_examples(
        self,
        query: str | None,
        release: str | None = None,
        filters: SearchFilters | None = None,
        k: int = 10,
    ) -> ExamplesResponse:
        """Precedents: ranked by ``query`` when given, else every example that passes the filters,
        in document order; the first ``k``, and how many pass the filters."""
        filters = filters or SearchFilters()
        self._require_section(filters.section, release)
        rc = self.corpus().get(release)
        filters.check(rc)
        chosen = [
            e
            for e in rc.parsed.examples
            if e.responses and filters.admits(rc.sections_by_id[e.section_id], e)
        ]
        if query:
            result = self.retriever.search(
                self.validate_question(query),
                rc.release,
                filters,
                k_sections=k,
                k_examples=k,
                precedents=True,
            )
            ranked = [h.example for h in result.examples]
        else:
            ranked = chosen[:k]
        cards = [example_card(e, rc.release) for e in ranked]
        return ExamplesResponse(
            release=rc.release, examples=only_label(cards, filters.label), matching=len(chosen)
        )

    def similar_examples(
        self, user: str, assistant: str = "", release: str | None = None, k: int = 5
    ) -> tuple[SearchResponse, list[ExampleCard], PrecedentVerdict | None]:
        """The labelled examples closest to a pasted exchange, the sections that govern them, and
        the labelled response the reply most resembles (None without a reply or a matcher)."""
        text = self.validate_question(
            f"{user}\n{assistant}".strip()[: self.settings.answers.max_question_chars]
        )
        result = self.retriever.search(
            text, release, k_sections=3, k_examples=max(k, PRECEDENT_CANDIDATES), precedents=True
        )
        governing = [
            self._section_card(result.release, h.section.id, score=round(h.score, 5))
            for h in result.sections
        ]
        cards = [example_card(h.example, result.release) for h in result.examples[:k]]
        verdict = None
        if assistant.strip() and self.precedents is not None:
            candidates = [h.example for h in result.examples]
            everywhere = self.corpus().get(result.release).parsed.examples
            verdict = self.precedents.verdict(assistant, result.release, candidates, everywhere)
        found = SearchResponse(
            query=text,
            release=result.release,
            sections=governing,
            examples=cards,
            timings=result.timings,
        )
        return found, cards, verdict

    # --- the spec as indexed ----------------------------------------------------------------
    def section(self, section_id: str, release: str | None = None) -> SectionCard:
        rc = self.corpus().get(release)
        self._require_section(section_id, rc.release)
        return self._section_card(rc.release, section_id, with_examples=True)

    def _require_section(self, section_id: str | None, release: str | None) -> None:
        rc = self.corpus().get(release)
        if section_id is not None and section_id not in rc.sections_by_id:
            self._explain_missing(section_id, rc.release)

    def _explain_missing(self, section_id: str, release: str) -> None:
        """An id of another release says where it went ("renamed 'love_humanity'")."""
        try:
            history = self.history(section_id)
        except UnknownSectionError:
            return  # in no release: the card's own error, with its "did you mean"
        now = history.ids.get(release)
        where = (
            f"it is {now!r} there (renamed; see its history)"
            if now
            else f"it is only in {', '.join(history.present_in)}"
        )
        raise UnknownSectionError(f"no section {section_id!r} in release {release}: {where}")

    def index_status(self) -> IndexStatus:
        """The open index (opened now if it is not yet)."""
        corpus = self.corpus()
        embedder = corpus.embedder
        return IndexStatus(
            corpus.manifest.collection,
            corpus.names,
            corpus.manifest.embed_model,
            embedder.name if embedder else None,
        )

    def releases(self) -> ReleaseList:
        corpus = self.corpus()
        return ReleaseList(corpus.names, corpus.newest)

    def release_name(self, release: str | None) -> str:
        """The indexed release ``release`` names (``None`` or ``latest``: the newest)."""
        return self.corpus().get(release).release

    def parsed(self, release: str | None = None) -> ParsedRelease:
        """A release's sections and examples as indexed."""
        return self.corpus().get(release).parsed

    def authorities(self, release: str) -> dict[str, str | None]:
        """Section id -> declared authority, for exports."""
        return {sid: s.authority for sid, s in self.corpus().get(release).sections_by_id.items()}

    def compare(self, old: str, new: str, section: str | None = None) -> Comparison:
        """The diff from ``old`` to ``new``, renames followed through the releases between."""
        for side, name in (("from", old), ("to", new)):
            if not name.strip():  # elsewhere an omitted release is the newest; a diff names both
                raise InputError(f"{side}: name a release (e.g. 2025-12-18, or latest)")
        corpus = self.corpus()
        before, after = corpus.get(old).parsed, corpus.get(new).parsed
        if section and all(r.section(section) is None for r in (before, after)):
            self._explain_missing(section, after.release)  # an id of a release between, or none
        between = releases_between(corpus, before.release, after.release)
        return Comparison(diff_releases(before, after, section or None, between), before, after)

    def diff(self, old: str, new: str, section: str | None = None) -> ReleaseDiff:
        return self.compare(old, new, section).diff

    def history(self, section_id: str) -> SectionHistory:
        corpus = self.corpus()
        return section_history([corpus.get(name).parsed for name in corpus.names], section_id)

    def _section_card(
        self,
        release: str,
        section_id: str,
        *,
        with_examples: bool = False,
        score: float | None = None,
    ) -> SectionCard:
        rc = self.corpus().get(release)
        section = rc.section(section_id)
        examples = (
            [example_card(rc.examples_by_id[e], release) for e in section.example_ids]
            if with_examples
            else []
        )
        return SectionCard(
            id=section.id,
            title=section.title,
            level=section.level,
            release=release,
            authority=section.authority,
            authority_meaning=authority_meaning(section.authority),
            parents=section.parents,
            path=rc.path(section),
            attributes=section.attributes,
            body=section.body,
            commentary=section.commentary,
            url=section_url(release, section.id),
            examples=examples,
            score=score,
        )


def releases_between(corpus: Corpus, old: str, new: str) -> list[ParsedRelease]:
    """The indexed releases strictly between ``old`` and ``new``, in order from ``old`` (so a
    diff from a newer to an older release walks back)."""
    names = corpus.names
    first, last = names.index(old), names.index(new)
    step = 1 if last >= first else -1
    return [corpus.get(name).parsed for name in names[first + step : last : step]]


def _cut(text: str, limit: int) -> str:
    """``text`` if it fits ``limit`` characters, else its start up to the last space that fits,
    marked with an ellipsis ("" when nothing useful fits)."""
    if len(text) <= limit:
        return text
    if limit < 2:
        return ""
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip() + "…"
