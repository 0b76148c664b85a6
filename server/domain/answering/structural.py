"""Questions about the spec's structure rather than its guidance, answered from the releases
themselves before anything is retrieved: an example's history, which rules moved level, counts,
what changed, which sections sit at a level, which examples carry a label.

Each kind has its own module; this one only asks them in turn, most specific first, so the
answering service has one call to make.
"""

from __future__ import annotations

from collections.abc import Callable

from server.domain.answering.authority_moves import AuthorityMoves
from server.domain.answering.change_answers import ChangeAnswerer
from server.domain.answering.example_history import ExampleHistory
from server.domain.answering.label_listing import LabelListing
from server.domain.answering.level_listing import LevelListing
from server.domain.answering.links import Links
from server.domain.answering.release_counts import ReleaseCounts
from server.domain.retrieval.corpus import Corpus
from server.domain.retrieval.hybrid import HybridRetriever
from server.domain.schemas import Answer

__all__ = ["StructuralAnswers"]


class StructuralAnswers:
    def __init__(
        self, corpus: Callable[[], Corpus], retriever: HybridRetriever, links: Links
    ) -> None:
        self.example_history = ExampleHistory(corpus)
        self.moves = AuthorityMoves(corpus)
        self.counts = ReleaseCounts(corpus)
        self.changes = ChangeAnswerer(corpus, retriever, links)
        self.levels = LevelListing(corpus)
        self.labels = LabelListing(corpus)

    def answer(self, question: str, release: str | None, earlier: str | None) -> Answer | None:
        """The answer from the releases' structure, or None when the question asks about the
        spec's guidance. ``earlier``: the topic of the conversation's earlier question, which a
        change question may lean on ("When were those examples added?")."""
        return (
            self.example_history.answer(question)
            or self.moves.answer(question)
            or self.counts.answer(question, release)
            or self.changes.answer(question, release, earlier)
            or self.levels.answer(question, release)
            or self.labels.answer(question, release)
        )
