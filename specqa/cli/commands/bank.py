"""`specqa bank check`: how the question bank fits the releases."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from specqa.cli.options import (
    AsJson,
    IndexDir,
    Release,
    SpecDir,
    components,
    console,
    fail,
    guarded,
    print_json,
    print_line,
    settings_from,
)

if TYPE_CHECKING:
    from specqa.core.question_bank import BankEntry
    from specqa.core.spec import ParsedRelease

bank_app = typer.Typer(no_args_is_help=True, help="The question bank (spec/question_bank.jsonl).")


@bank_app.command()
def check(
    release: Annotated[
        str | None,
        typer.Option("--release", "-r", help="Only this release; default: every release."),
    ] = None,
    spec_dir: SpecDir = None,
    as_json: AsJson = False,
) -> None:
    """Sections below their minimum, entries whose section is gone from a release (skipped) or
    whose sentence is (stale: a key of its section but no answer there), never an error, and
    counts per voice and short answer."""
    from ingest.parser import parse_release
    from ingest.sources import ReleaseSource
    from specqa.core.question_bank import check_bank, load_bank

    settings = settings_from(spec_dir=spec_dir)
    entries = guarded(lambda: load_bank(settings.spec.question_bank))
    source = ReleaseSource(settings)
    chosen = guarded(lambda: source.select([release] if release else None))

    def parsed(version: str) -> ParsedRelease:
        return parse_release(version, source.read(version))

    checks = [check_bank(entries, guarded(partial(parsed, r.version))) for r in chosen]
    if as_json:
        print_json([_as_json(c) for c in checks])
        return
    for result in checks:  # oldest first: the newest, whose minimums matter, is printed last
        _print_check(result, detailed=result is checks[-1])


@bank_app.command("short-answers")
def short_answers(
    release: Release = None,
    index_dir: IndexDir = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N answered questions (a quick look).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """How often the short answer is shown and right on the bank's own answered questions, each
    asked with itself left out of the curated matches: a calibration set no gate was fitted to
    (the tuned model was: `make calibrate` holds a third out of it too)."""
    from server.domain.evaluation.left_out import short_answers_left_out
    from specqa.core.question_bank import load_bank

    parts = components(index_dir)
    version = guarded(lambda: parts.service.parsed(release)).release
    entries = guarded(lambda: load_bank(parts.settings.spec.question_bank))
    answered = [(e.question, e.answer) for e in entries if e.answer is not None][:limit]

    def shown(question: str) -> str | None:
        lead = parts.service.lead_left_out(question, version)
        return lead.short.value if lead is not None and lead.short is not None else None

    result = short_answers_left_out(answered, shown)
    if as_json:
        print_json(
            {
                "release": version,
                "asked": result.asked,
                "shown": result.shown,
                "right": result.right,
                "confusion": [
                    {"shown": s, "expected": e, "count": n}
                    for (s, e), n in result.confusion.items()
                ],
            }
        )
        return
    console.print(
        f"[bold]release {version}[/]: of {result.asked} answered bank questions, each asked with "
        f"itself left out, a short answer was shown for {result.shown} "
        f"({result.shown_share:.3f}), right {result.right} ({result.precision:.3f})",
        soft_wrap=True,
    )
    for (value, expected), count in sorted(result.confusion.items()):
        console.print(f"  shown {value!r}, expected {expected!r}: {count}")


@bank_app.command()
def split(
    out: Annotated[Path, typer.Option(help="Folder for bank.jsonl and held_out.jsonl.")],
    fold: Annotated[int, typer.Option(help="The fold held out, from 0.")] = 0,
    folds: Annotated[int, typer.Option(help="How many folds the bank is cut into.")] = 3,
) -> None:
    """Hold one fold of the bank out, for a calibration no gate has seen: ``bank.jsonl`` is the
    rest (ingest it with SPECQA_QUESTION_BANK into an index of its own: its tuned model and keys
    never saw the fold) and ``held_out.jsonl`` the fold as an eval set (``specqa eval``): each
    question with its section, its sentence as the bottom line and its short answer. The bank's
    own questions asked with themselves left out (``bank short-answers``) flatter the short
    answer: the tuned model was fitted to them."""
    from specqa.core.question_bank import load_bank, split_bank

    settings = settings_from()
    entries = guarded(lambda: load_bank(settings.spec.question_bank))
    kept, held = guarded(lambda: split_bank(entries, fold, folds))
    _write_jsonl(out / "bank.jsonl", [entry.model_dump() for entry in kept])
    _write_jsonl(out / "held_out.jsonl", [_as_eval_question(entry) for entry in held])
    console.print(
        f"fold {fold} of {folds}: {len(held)} questions held out in {out / 'held_out.jsonl'}, "
        f"{len(kept)} kept in {out / 'bank.jsonl'}",
        soft_wrap=True,
    )


def _as_eval_question(entry: BankEntry) -> dict[str, object]:
    return {
        "question": entry.question,
        "sections": [entry.section_id],
        "sentences": [entry.sentence],
        "answer": entry.answer,
        "voice": entry.voice,
        "split": "dev",
    }


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def _as_json(check: object) -> dict[str, object]:
    from specqa.core.question_bank import BankCheck

    assert isinstance(check, BankCheck)
    return {
        "release": check.release,
        "entries": check.entries,
        "usable": check.usable,
        "voices": dict(check.voices),
        "answers": dict(check.answers),
        "per_section": check.per_section,
        "below_minimum": {k: {"has": h, "needs": n} for k, (h, n) in check.below_minimum.items()},
        "no_text": check.no_text,
        "stale": [_entry_json(line, e) for line, e in check.stale],
        "missing_section": [_entry_json(line, e) for line, e in check.missing_section],
    }


def _entry_json(line: int, entry: object) -> dict[str, object]:
    from specqa.core.question_bank import BankEntry

    assert isinstance(entry, BankEntry)
    return {"line": line, "section_id": entry.section_id, "question": entry.question}


def _print_check(check: object, detailed: bool) -> None:
    from specqa.core.question_bank import BankCheck

    assert isinstance(check, BankCheck)
    usable = max(check.usable, 1)
    voices = ", ".join(f"{v} {n} ({n / usable:.0%})" for v, n in sorted(check.voices.items()))
    print_line(
        f"[bold]release {check.release}[/]: {check.usable} of {check.entries} entries hold; "
        f"{len(check.stale)} stale, {len(check.missing_section)} with no section here"
    )
    answers = ", ".join(f"{value} {n}" for value, n in sorted(check.answers.items()))
    print_line(f"  voices: {voices}")
    print_line(f"  short answers: {answers}")
    if check.below_minimum and not detailed:
        print_line(
            f"  {len(check.below_minimum)} sections below their minimum "
            f"(`specqa bank check -r {check.release}` lists them)"
        )
    if check.no_text:
        print_line(f"  sections with no sentence to anchor to: {', '.join(check.no_text)}")
    if not detailed:
        return
    if check.below_minimum:
        table = Table(title="sections below their minimum")
        for column in ("section", "entries", "minimum"):
            table.add_column(column)
        for section_id, (has, needs) in sorted(check.below_minimum.items()):
            table.add_row(section_id, str(has), str(needs))
        console.print(table)
    for label, rows in (("stale", check.stale), ("no section", check.missing_section)):
        for line, entry in rows[:_LISTED]:
            console.print(
                f"  {label}: line {line} ({escape(entry.section_id)}) {escape(entry.question)}",
                soft_wrap=True,
            )
        if len(rows) > _LISTED:
            console.print(f"  … and {len(rows) - _LISTED} more {label} (--json lists them all)")


_LISTED = 20
