"""Piped or redirected, the CLI's tables are as wide as their content: no example id, section id
or title is cut with "…" (issue 24 item 19), so scripts and grep read them whole."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_piped_precedent_tables_show_every_id_whole(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    saved = tmp_path / "precedents.json"
    result = run_cli(
        "examples", "search", "system prompt", "-k", "6", "--json-out", str(saved), env=cli_env
    )
    assert result.returncode == 0, result.stderr
    cards = json.loads(saved.read_text(encoding="utf-8"))["examples"]
    assert cards and any(len(card["id"]) > 30 for card in cards)  # longer than a cramped column
    assert "…" not in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    for card, row in zip(cards, rows, strict=True):  # one line a card: nothing wrapped either
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells[:2] == [card["id"], card["section_id"]]
        assert cells[3] == card["title"]
