"""The docs stay true: the configuration table lists exactly the settings that exist, and the
README names only make targets that exist."""

from __future__ import annotations

import re

from specqa.core.settings import Settings
from tests.conftest import REPO


def _documented_variables() -> set[str]:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    table = text.split("# Configuration", 1)[1].split("\n## ", 1)[0]
    return {
        match
        for line in table.splitlines()
        if line.startswith("| `")
        for match in re.findall(r"`([A-Z_]+)`", line.split("|")[1])
    }


def test_the_configuration_table_matches_the_settings() -> None:
    expected = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names = [a for a in getattr(alias, "choices", []) if isinstance(a, str) and a.isupper()]
        expected |= set(names) if names else {f"SPECQA_{name.upper()}"}
    assert _documented_variables() == expected


def test_every_setting_has_a_description() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_readme_names_the_make_targets_that_exist() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"make ([\w-]+)", readme):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
