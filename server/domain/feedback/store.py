"""Feedback on answers: 👍 or 👎 with an optional comment, kept with what was answered.

Every answer a server makes is recorded as it is made (:meth:`FeedbackStore.record_answer` is an
observer of the answering service): its id, question, release, mode, cited section ids and
confidence. Feedback names an answer by that id and is stored beside it, so policy teams can find
the questions and sections answered badly (:meth:`FeedbackStore.stats`, ``specqa feedback``).

One implementation over SQLAlchemy Core; the database is picked by the URL's scheme
(:data:`BACKENDS`): SQLite (``<index_dir>/feedback.sqlite`` by default, one file per machine) or
PostgreSQL through psycopg 3 (``SPECQA_FEEDBACK_DATABASE_URL``), which every replica shares: an
answer made by one replica can be rated through another. Tables are created on first use.

Answers reach it through a bounded queue (``FeedbackStore.recorder``), never holding an answer; on
PostgreSQL every operation ends within ``feedback_timeout_s`` (:mod:`server.domain.feedback.db_limit`).

Surfaces send feedback through ``POST /v1/feedback`` or ``components.feedback.add``; listeners
(the metrics counter) hear every one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from server.domain.feedback.answer_recorder import AnswerRecorder
from server.domain.feedback.db_limit import OperationLimit, postgresql_options
from server.domain.feedback.records import (
    MAX_COMMENT_CHARS,
    RATINGS,
    Feedback,
    FeedbackStats,
    QuestionStat,
    Rating,
    SectionStat,
    summarise,
)
from server.domain.feedback.tables import answer_sections, answers, metadata, ratings
from server.domain.schemas import Answer
from server.domain.settings import DomainSettings
from specqa.core.errors import BackendUnavailableError, InputError, UnknownAnswerError
from specqa.core.text import without_controls

__all__ = [
    "BACKENDS",
    "MAX_COMMENT_CHARS",
    "Feedback",
    "FeedbackStats",
    "FeedbackStore",
    "QuestionStat",
    "Rating",
    "SectionStat",
    "open_feedback_store",
]

log = logging.getLogger("specqa.feedback")

UNREACHABLE = "the feedback database is unreachable; try again shortly"
PAUSE_S = 30.0  # after a failed record, answers skip recording this long (they never wait on it)
REPLICA_WAIT_S = 1.5  # how long a rating waits for an answer another replica is still writing


@dataclass(frozen=True)
class Backend:
    """How one kind of database is reached: the SQLAlchemy driver, its engine options and an
    INSERT that skips rows already there."""

    driver: str
    insert: Callable[[Table], Any]
    options: Callable[[URL, float], dict[str, Any]] = field(default=lambda url, timeout_s: {})


def _sqlite_options(url: URL, timeout_s: float) -> dict[str, Any]:
    if url.database:  # a folder that cannot be made fails on first use, as a database down
        with contextlib.suppress(OSError):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return {"connect_args": {"timeout": 15, "check_same_thread": False}}


BACKENDS: dict[str, Backend] = {
    "sqlite": Backend("sqlite", sqlite_insert, _sqlite_options),
    "postgresql": Backend("postgresql+psycopg", postgresql_insert, postgresql_options),
    "postgres": Backend("postgresql+psycopg", postgresql_insert, postgresql_options),
}


def open_feedback_store(settings: DomainSettings, *, pause_s: float = PAUSE_S) -> FeedbackStore:
    """The store ``SPECQA_FEEDBACK_DATABASE_URL`` names, or SQLite beside the index. Connects
    on first use, not here."""
    secret = settings.feedback.database_url
    text = secret.get_secret_value() if secret is not None else ""
    if not text:
        text = f"sqlite:///{(settings.index.index_dir / 'feedback.sqlite').resolve()}"
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise InputError(f"SPECQA_FEEDBACK_DATABASE_URL is not a database URL: {exc}") from exc
    backend = BACKENDS.get(url.drivername.split("+", 1)[0])
    if backend is None:
        raise InputError(
            f"SPECQA_FEEDBACK_DATABASE_URL: unsupported database {url.drivername!r} "
            f"(supported: {', '.join(sorted(BACKENDS))})"
        )
    url = url.set(drivername=backend.driver)
    timeout_s = settings.feedback.timeout_s
    return FeedbackStore(
        create_engine(url, **backend.options(url, timeout_s)),
        backend,
        pause_s=pause_s,
        timeout_s=timeout_s,
        queue_size=settings.feedback.queue_size,
    )


class FeedbackStore:
    """Answers and the feedback on them, in one SQL database (thread-safe)."""

    def __init__(
        self,
        engine: Engine,
        backend: Backend,
        *,
        pause_s: float = PAUSE_S,
        timeout_s: float = 5.0,
        queue_size: int = 1000,
    ) -> None:
        self.engine = engine
        self.backend = backend
        # called with every stored Feedback (e.g. the metrics counter), whatever surface sent it
        self.listeners: list[Callable[[Feedback], None]] = []
        self._lock = threading.Lock()
        self._created = False
        self.pause_s = pause_s
        self._paused_until = 0.0
        self._limit = OperationLimit(engine, timeout_s)
        self.recorder = AnswerRecorder(self.record_answer, queue_size)  # the app's observer
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)

    @property
    def kind(self) -> str:
        return self.engine.dialect.name

    # --- writing ----------------------------------------------------------------------------
    def record_answer(self, answer: Answer) -> None:
        """Keep what feedback on ``answer`` needs. An observer: it never fails the answer, and
        after a failure answers skip it for ``pause_s`` seconds rather than each wait on a database
        that is down."""
        if time.monotonic() < self._paused_until:
            return
        cited = list(dict.fromkeys(c.section_id for c in answer.citations))
        try:
            with self._connect() as conn:
                conn.execute(
                    self.backend.insert(answers)
                    .values(
                        id=answer.id,
                        question=answer.question,
                        release=answer.release,
                        mode=answer.mode,
                        confidence=answer.confidence,
                        created_at=_now(),
                    )
                    .on_conflict_do_nothing()
                )
                if cited:
                    conn.execute(
                        self.backend.insert(answer_sections).on_conflict_do_nothing(),
                        [
                            {"answer_id": answer.id, "rank": rank, "section_id": section}
                            for rank, section in enumerate(cited)
                        ],
                    )
        except BackendUnavailableError as exc:
            self._paused_until = time.monotonic() + self.pause_s
            log.warning(
                "answer %s not recorded for feedback (answers skip it for %.0f s): %s",
                answer.id,
                self.pause_s,
                exc.message,
            )

    def add(
        self,
        answer_id: str,
        rating: str,
        comment: str = "",
        source: str = "api",
        rater: str | None = None,
    ) -> Feedback:
        """Store a rating of a recorded answer; InputError for a bad rating or comment,
        UnknownAnswerError (404) for an answer id that was never recorded. With a ``rater``
        (a Slack user id, a browser's token) a later rating by the same rater of the same
        answer replaces the earlier one; without, every rating counts."""
        if rating not in RATINGS:
            raise InputError("rating must be 'up' or 'down'")
        self.recorder.settle(answer_id, self._limit.seconds)  # rated right after it was answered
        comment = _clean(comment or "")
        if len(comment) > MAX_COMMENT_CHARS:
            raise InputError(f"the comment is over {MAX_COMMENT_CHARS:,} characters")
        answer = self._recorded(answer_id)
        now = _now()
        with self._connect() as conn:
            statement = self.backend.insert(ratings).values(
                answer_id=answer_id,
                rating=rating,
                comment=comment,
                source=source,
                rater=rater,
                created_at=now,
            )
            if rater is not None:
                changed = ("rating", "comment", "source", "created_at")
                statement = statement.on_conflict_do_update(
                    index_elements=["answer_id", "rater"],
                    set_={column: statement.excluded[column] for column in changed},
                )
            row_id = conn.execute(statement.returning(ratings.c.id)).scalar_one()
            sections = _sections(conn, [answer_id])
        record = Feedback(
            id=row_id,
            answer_id=answer_id,
            rating=rating,  # checked above
            comment=comment,
            source=source,
            rater=rater,
            created_at=now,
            question=answer.question,
            release=answer.release,
            mode=answer.mode,
            section_ids=sections.get(answer_id, []),
            confidence=answer.confidence,
            answered_at=_utc(answer.created_at),
        )
        for listener in self.listeners:
            listener(record)
        return record

    def _recorded(self, answer_id: str) -> Any:
        """The answer's row. Another replica may still be writing an answer it made a moment
        ago, so a missing one is looked for again, with growing pauses, for REPLICA_WAIT_S."""
        deadline, pause = time.monotonic() + REPLICA_WAIT_S, 0.05
        while True:
            with self._connect() as conn:
                row = conn.execute(select(answers).where(answers.c.id == answer_id)).first()
            if row is not None:
                return row
            if time.monotonic() + pause > deadline:
                raise UnknownAnswerError(f"no answer with id {answer_id!r} was recorded")
            time.sleep(pause)
            pause *= 2

    # --- reading ----------------------------------------------------------------------------
    def records(self, rating: str | None = None) -> list[Feedback]:
        """Every rating with its answer, oldest first (optionally only 'up' or 'down')."""
        query = (
            select(ratings, answers.c.question, answers.c.release, answers.c.mode)
            .add_columns(answers.c.confidence, answers.c.created_at.label("answered_at"))
            .join(answers, answers.c.id == ratings.c.answer_id)
            .order_by(ratings.c.id)
        )
        if rating is not None:
            query = query.where(ratings.c.rating == rating)
        with self._connect() as conn:
            rows = conn.execute(query).mappings().all()
            sections = _sections(conn, None)
        return [
            Feedback(
                **{
                    **row,
                    "created_at": _utc(row["created_at"]),
                    "answered_at": _utc(row["answered_at"]),
                    "section_ids": sections.get(row["answer_id"], []),
                }
            )
            for row in rows
        ]

    def answer_count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute(select(func.count()).select_from(answers)).scalar_one())

    def stats(self, limit: int = 10, comments: int = 5) -> FeedbackStats:
        """Totals, and the questions and leading sections with the most 👎 (their comments too)."""
        return summarise(self.records(), self.answer_count(), limit, comments)

    # --- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """A connection in a transaction; database failures become BackendUnavailableError."""
        try:
            with self._limit.limit():
                self._create()
                with self.engine.begin() as conn:
                    yield conn
        except SQLAlchemyError as exc:
            cause = str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"]
            raise BackendUnavailableError(
                f"the feedback database ({self.kind}) failed: {cause[0]}", UNREACHABLE
            ) from exc

    def _create(self) -> None:
        if self._created:
            return
        with self._lock:
            if not self._created:
                try:
                    metadata.create_all(self.engine)
                except SQLAlchemyError:  # another replica created them at the same moment
                    metadata.create_all(self.engine)
                self._created = True

    def close(self) -> None:
        self.recorder.close()
        self.engine.dispose()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.close()


def _sections(conn: Any, answer_ids: list[str] | None) -> dict[str, list[str]]:
    query = select(answer_sections).order_by(answer_sections.c.answer_id, answer_sections.c.rank)
    if answer_ids is not None:
        query = query.where(answer_sections.c.answer_id.in_(answer_ids))
    else:  # only the answers that were rated
        query = query.where(answer_sections.c.answer_id.in_(select(ratings.c.answer_id)))
    found: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(query):
        found[row.answer_id].append(row.section_id)
    return found


def _clean(text: str) -> str:
    """Without control characters (newlines and tabs kept), bidirectional controls or lone
    surrogates, which no database stores; other format characters stay (an emoji's joiner)."""
    return without_controls(text, keep_format=True).strip()


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
