"""The docs stay true: the configuration table lists exactly the settings that exist, and the
README names only make targets that exist."""

from __future__ import annotations

import re

from scripts.settings_table import document
from server.settings import Settings
from specqa.core.settings import SettingsGroup, environment_names
from tests.conftest import REPO


def test_the_configuration_page_is_the_one_generated_from_the_settings() -> None:
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == document(), "run: python scripts/settings_table.py > docs/configuration.md"


def test_the_configuration_page_names_every_variable_once_in_one_table_per_group() -> None:
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    sections = page.split("\n## ")[1:]
    assert [section.split("`")[1] for section in sections] == list(Settings.model_fields)
    documented = [
        name
        for line in page.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z_]+)`", line.split("|")[1])
    ]
    expected = [
        env
        for field in Settings.model_fields.values()
        for name in _group(field.annotation).model_fields
        for env in environment_names(_group(field.annotation), name)
    ]
    assert documented == expected


def test_every_setting_has_a_description() -> None:
    groups = [_group(field.annotation) for field in Settings.model_fields.values()]
    assert all(field.description for group in groups for field in group.model_fields.values())


def _group(kind: object) -> type[SettingsGroup]:
    assert isinstance(kind, type) and issubclass(kind, SettingsGroup)
    return kind


def test_readme_names_the_make_targets_that_exist() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"make ([\w-]+)", readme):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
