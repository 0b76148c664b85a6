"""A small releases folder written at test time, for ingest tests where the spec's size is not
what is tested: the opening parts of real releases, with a manifest of their own (each shortened
file's sha256, so the release source verifies it as it verifies the real ones), and the first
lines of the question bank and of the not-covered questions (an ingest with a model it has not
seen embeds every one of them). Nothing of it is committed."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SpecSample", "write_not_covered_sample", "write_spec_sample"]

REPO = Path(__file__).resolve().parents[1]
_PART = re.compile(r"^# ", re.M)  # a top-level heading: where one part of the spec starts


@dataclass(frozen=True)
class SpecSample:
    """Where the sample is: point ``SPECQA_SPEC_DIR``, ``SPECQA_RELEASES_FILE``,
    ``SPECQA_QUESTION_BANK`` and ``SPECQA_NOT_COVERED_FILE`` (or
    :func:`tests.conftest.make_settings`) at it."""

    spec_dir: Path
    releases_file: Path
    question_bank: Path
    not_covered_file: Path

    def settings(self) -> dict[str, object]:
        """The overrides for :func:`tests.conftest.make_settings`."""
        return {
            "spec_dir": self.spec_dir,
            "releases_file": self.releases_file,
            "question_bank": self.question_bank,
            "not_covered_file": self.not_covered_file,
        }

    def env(self) -> dict[str, str]:
        """The same as ``SPECQA_*`` variables, for the CLI."""
        return {
            "SPECQA_SPEC_DIR": str(self.spec_dir),
            "SPECQA_RELEASES_FILE": str(self.releases_file),
            "SPECQA_QUESTION_BANK": str(self.question_bank),
            "SPECQA_NOT_COVERED_FILE": str(self.not_covered_file),
        }


def write_spec_sample(
    folder: Path, source: Path, *, parts: int = 3, bank: int = 40, not_covered: int = 20
) -> SpecSample:
    """Every release of ``source`` (a folder of real releases) cut to its first ``parts``
    top-level parts, written to ``folder`` with its manifest; the first ``bank`` entries of the
    question bank (they are about the spec's opening sections) and the first ``not_covered``
    not-covered questions."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((REPO / "spec" / "releases.json").read_text(encoding="utf-8"))
    for release in manifest["releases"]:
        name = f"model_spec-{release['version']}.md"
        data = _opening(
            (source / name).read_text(encoding="utf-8"), parts, release["version"]
        ).encode()
        (folder / name).write_bytes(data)
        release.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    releases_file = folder / "releases.json"
    releases_file.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    question_bank = _first_lines("question_bank.jsonl", bank, folder / "question_bank.jsonl")
    not_covered_file = write_not_covered_sample(folder / "not_covered.jsonl", not_covered)
    return SpecSample(folder, releases_file, question_bank, not_covered_file)


def write_not_covered_sample(path: Path, count: int = 20) -> Path:
    """The first ``count`` of the curated not-covered questions, written to ``path``."""
    return _first_lines("not_covered.jsonl", count, path)


def _first_lines(name: str, count: int, path: Path) -> Path:
    lines = (REPO / "spec" / name).read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:count]) + "\n", encoding="utf-8")
    return path


def _opening(markdown: str, parts: int, version: str) -> str:
    starts = [match.start() for match in _PART.finditer(markdown)]
    if len(starts) <= parts:
        raise ValueError(f"release {version} has {len(starts)} parts, not more than {parts}")
    return markdown[: starts[parts]]
