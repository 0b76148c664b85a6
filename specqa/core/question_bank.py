"""The question bank: the spec's sections asked the way people ask (``spec/question_bank.jsonl``).

Each entry is a question a person would type, the section that governs it, the one sentence of
that section (newest release, verbatim) that answers it, the short answer that sentence gives
(``yes``, ``no``, ``it depends``, or none for a question that is not yes/no) and the voice it is
asked in. Ingest turns the entries into retrieval keys of their section and tuning pairs; answers
take their bottom line and short answer from the closest entry.

A release is matched entry by entry: an entry answers in a release only where its section exists
and its sentence is still found in that section's text (quote marks, dashes and white space
aside). Where the section exists but its sentence is gone (reworded: the 2025-02-12 release says
"creative" where the newest says "artistic"), the entry is *stale* there: listed by
:func:`check_bank`, never an error, so a new release never breaks ingest; its sentence is skipped
(it neither chooses the bottom line nor lends a short answer), but its question still keys its
section, since what it asks is still that section's (in the 2025-02-12 release that kept a
quarter of the bank's keys, and the first section governed 0.74 → 0.88 of the dev questions
whose sections that release has). An entry whose section that release lacks is skipped there.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from specqa.core.errors import InputError
from specqa.core.jsonl import jsonl_rows
from specqa.core.quotes import sentences_of
from specqa.core.spec import ParsedRelease, Section
from specqa.core.text import one_dash

__all__ = [
    "MIN_ENTRIES_WITHOUT_AUTHORITY",
    "MIN_ENTRIES_WITH_AUTHORITY",
    "VOICES",
    "BankCheck",
    "BankEntry",
    "ShortAnswerValue",
    "Voice",
    "check_bank",
    "entries_for_release",
    "load_bank",
    "load_not_covered",
    "normalise_quotes",
    "short_answer_value",
    "split_bank",
]

Voice = Literal["everyday", "developer", "policy", "request"]
ShortAnswerValue = Literal["yes", "no", "it depends"]
VOICES: tuple[str, ...] = get_args(Voice)


_SHORT_ANSWERS: dict[str, ShortAnswerValue] = {"yes": "yes", "no": "no", "it depends": "it depends"}


def short_answer_value(text: str) -> ShortAnswerValue | None:
    """``text`` as a short answer, or None when it is none (empty, or not one of the three)."""
    return _SHORT_ANSWERS.get(text)


MIN_ENTRIES_WITH_AUTHORITY = 12
MIN_ENTRIES_WITHOUT_AUTHORITY = 4
_QUOTE_MARKS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_SPACE = re.compile(r"\s+")


class BankEntry(BaseModel):
    """One curated question and the sentence of its section that answers it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=8, max_length=400)
    section_id: str = Field(min_length=1)
    sentence: str = Field(min_length=1, description="Verbatim from the section, newest release")
    answer: ShortAnswerValue | None = Field(description="What the sentence says to the question")
    voice: Voice


def normalise_quotes(text: str) -> str:
    """Text as the bank compares it: curly quotes made straight, every way of writing a dash
    made one, white space collapsed."""
    return _SPACE.sub(" ", one_dash(text.translate(_QUOTE_MARKS))).strip()


def load_bank(path: Path) -> list[BankEntry]:
    """Every entry of the bank file; a line that is not a valid entry is an error naming it."""
    entries = []
    for number, row in jsonl_rows(path, "the question bank"):
        try:
            entries.append(BankEntry.model_validate(row))
        except ValidationError as exc:
            raise InputError(
                f"{path}:{number}: not a question-bank entry ({_first_error(exc)})"
            ) from exc
    return entries


def split_bank(
    entries: list[BankEntry], fold: int, folds: int
) -> tuple[list[BankEntry], list[BankEntry]]:
    """The entries outside fold ``fold`` of ``folds``, and those in it. An entry's fold is a hash
    of its question, so it stays put as the bank grows and whatever order the file is in."""
    if folds < 2 or not 0 <= fold < folds:
        raise InputError(
            f"fold must be from 0 to folds - 1, with at least 2 folds (got {fold} of {folds})"
        )
    kept: list[BankEntry] = []
    held: list[BankEntry] = []
    for entry in entries:
        (held if _fold_of(entry.question, folds) == fold else kept).append(entry)
    return kept, held


def _fold_of(question: str, folds: int) -> int:
    key = normalise_quotes(question).lower().encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % folds


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "entry"
    return f"{where}: {error['msg']}"


def entries_for_release(
    entries: list[BankEntry], parsed: ParsedRelease
) -> list[tuple[int, BankEntry, str | None]]:
    """The entries whose section ``parsed`` has: each with its number in the bank (from 1), filed
    under its section's id in that release (see :func:`_held`), and its sentence as that release
    writes it, or None where the entry is stale there (see the module)."""
    sentences = _sentences_by_section(parsed)
    renames = _Renames(entries, sentences)
    found: list[tuple[int, BankEntry, str | None]] = []
    for number, entry in enumerate(entries, start=1):
        held = _held(entry, sentences, renames)
        if held is not None:
            section_id, exact = held
            if section_id != entry.section_id:
                entry = entry.model_copy(update={"section_id": section_id})
            found.append((number, entry, exact))
    return found


def _held(
    entry: BankEntry, sentences: dict[str, dict[str, str]], renames: _Renames
) -> tuple[str, str | None] | None:
    """Where ``entry`` holds in a release: its section's id there and its sentence as written
    (None when stale there), or None when that release lacks its section."""
    key = normalise_quotes(entry.sentence)
    section_id = entry.section_id if entry.section_id in sentences else renames.id_of(entry, key)
    if section_id is None:
        return None
    return section_id, sentences[section_id].get(key)


class _Renames:
    """The id an older release gives a section the bank names by a newer id (the spec renamed
    ``protect_privileged_messages`` to ``protect_privileged_information``): the one section there
    that says an entry's sentence; for an entry whose sentence it words otherwise, the one section
    that says the sentences of the other entries of its section (none when they are said by
    several sections, or none)."""

    def __init__(self, entries: list[BankEntry], sentences: dict[str, dict[str, str]]) -> None:
        self.owners = _owners(sentences)
        seen: dict[str, set[str]] = {}
        for entry in entries:
            if entry.section_id not in sentences:
                owner = self.owners.get(normalise_quotes(entry.sentence))
                seen.setdefault(entry.section_id, set()).update([owner] if owner else [])
        self.sections = {newer: next(iter(ids)) for newer, ids in seen.items() if len(ids) == 1}

    def id_of(self, entry: BankEntry, key: str) -> str | None:
        return self.owners.get(key) or self.sections.get(entry.section_id)


def _owners(sentences: dict[str, dict[str, str]]) -> dict[str, str]:
    """Each sentence that exactly one section says, and that section's id."""
    owners: dict[str, str] = {}
    shared: set[str] = set()
    for section_id, texts in sentences.items():
        for key in texts:
            if key in owners and owners[key] != section_id:
                shared.add(key)
            owners[key] = section_id
    return {key: section_id for key, section_id in owners.items() if key not in shared}


def load_not_covered(path: Path) -> list[str]:
    """The curated questions the spec does not cover (``{"question": ...}`` per line)."""
    questions = []
    for number, row in jsonl_rows(path, "the not-covered questions"):
        question = row.get("question") if isinstance(row, dict) else None
        if not isinstance(question, str) or not question.strip():
            raise InputError(f'{path}:{number}: expected {{"question": "..."}}')
        questions.append(question.strip())
    return questions


def _sentences_by_section(parsed: ParsedRelease) -> dict[str, dict[str, str]]:
    return {
        section.id: {normalise_quotes(text): text for text in sentences_of(section.body)}
        for section in parsed.sections
    }


@dataclass
class BankCheck:
    """How the bank fits one release."""

    release: str
    entries: int
    usable: int
    voices: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    per_section: dict[str, int] = field(default_factory=dict)
    below_minimum: dict[str, tuple[int, int]] = field(default_factory=dict)  # id -> (has, needs)
    no_text: list[str] = field(default_factory=list)  # sections with no sentence to anchor to
    # sentence gone, section kept: still a key of it (line no.)
    stale: list[tuple[int, BankEntry]] = field(default_factory=list)
    missing_section: list[tuple[int, BankEntry]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.below_minimum or self.stale or self.missing_section)


def check_bank(entries: list[BankEntry], parsed: ParsedRelease) -> BankCheck:
    """Sections below their minimum, entries stale or orphaned in ``parsed``, counts per voice."""
    sentences = _sentences_by_section(parsed)
    renames = _Renames(entries, sentences)
    check = BankCheck(parsed.release, len(entries), 0)
    usable: Counter[str] = Counter()
    for line, entry in enumerate(entries, start=1):
        held = _held(entry, sentences, renames)
        if held is None:
            check.missing_section.append((line, entry))
        elif held[1] is None:
            check.stale.append((line, entry))
        else:
            usable[held[0]] += 1
            check.voices[entry.voice] += 1
            check.answers[entry.answer or "none"] += 1
    check.usable = sum(usable.values())
    for section in parsed.sections:
        check.per_section[section.id] = usable[section.id]
        if not sentences[section.id]:
            check.no_text.append(section.id)
            continue
        needed = _minimum(section)
        if usable[section.id] < needed:
            check.below_minimum[section.id] = (usable[section.id], needed)
    return check


def _minimum(section: Section) -> int:
    return MIN_ENTRIES_WITH_AUTHORITY if section.authority else MIN_ENTRIES_WITHOUT_AUTHORITY
