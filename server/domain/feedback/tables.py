"""The feedback database's tables: answers, the sections each cited, and the ratings of them."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["answer_sections", "answers", "metadata", "ratings"]

metadata = MetaData()
answers = Table(
    "specqa_answers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("question", Text, nullable=False),
    Column("release", String(40), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("confidence", String(8)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
answer_sections = Table(  # the cited sections, in the answer's order (rank 0 leads)
    "specqa_answer_sections",
    metadata,
    Column("answer_id", String(64), primary_key=True),
    Column("rank", Integer, primary_key=True, autoincrement=False),
    Column("section_id", String(200), nullable=False),
)
ratings = Table(
    "specqa_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("answer_id", String(64), nullable=False, index=True),
    Column("rating", String(4), nullable=False),
    Column("comment", Text, nullable=False),
    Column("source", String(20), nullable=False),
    Column("rater", String(100)),  # who rated, when known: their later rating replaces this one
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("answer_id", "rater", name="specqa_feedback_one_per_rater"),
)
