"""Spec sources: verified reads, and clear errors instead of partial indexes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.sources import ReleaseSource
from specqa.core.errors import SpecSourceError, UnknownReleaseError
from tests.conftest import REPO, make_settings, run_cli, spec_dir


def _copy_spec(tmp_path: Path) -> Path:
    target = tmp_path / "spec"
    shutil.copytree(spec_dir(), target)
    return target


def test_manifest_in_the_repo_matches_the_shared_releases() -> None:
    source = ReleaseSource(make_settings(Path("unused")))
    assert source.versions == ["2025-02-12", "2025-04-11", "2025-09-12", "2025-10-27", "2025-12-18"]
    assert source.read("2025-12-18").startswith("# Overview {#overview}")


def test_a_tampered_release_fails_its_checksum(tmp_path: Path) -> None:
    folder = _copy_spec(tmp_path)
    path = folder / "model_spec-2025-04-11.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nextra", encoding="utf-8")
    source = ReleaseSource(make_settings(tmp_path / "index", spec_dir=folder))
    with pytest.raises(SpecSourceError, match="checksum mismatch for release 2025-04-11"):
        source.read("2025-04-11")


def test_unknown_release_is_named_in_the_error() -> None:
    source = ReleaseSource(make_settings(Path("unused")))
    with pytest.raises(UnknownReleaseError, match="unknown release '2024-01-01'"):
        source.info("2024-01-01")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("tamper", "checksum mismatch"),
        ("delete", "release file missing"),
        ("unknown", "unknown release '1999-01-01'"),
    ],
)
def test_ingest_with_bad_sources_exits_2_with_one_line_and_builds_nothing(
    tmp_path: Path, damage: str, message: str
) -> None:
    folder = _copy_spec(tmp_path)
    args = ["ingest", "--json"]
    if damage == "tamper":
        (folder / "model_spec-2025-12-18.md").write_text("# nope {#nope}\n", encoding="utf-8")
    elif damage == "delete":
        (folder / "model_spec-2025-09-12.md").unlink()
    else:
        args += ["--release", "1999-01-01"]
    index = tmp_path / "index"
    result = run_cli(*args, env={"SPECQA_SPEC_DIR": str(folder), "SPECQA_INDEX_DIR": str(index)})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert not (index / "current.json").exists()


def test_fetch_spec_reports_an_unreachable_upstream_as_a_clear_error(tmp_path: Path) -> None:
    manifest = tmp_path / "releases.json"
    text = (REPO / "spec" / "releases.json").read_text(encoding="utf-8")
    manifest.write_text(
        text.replace("https://raw.githubusercontent.com", "http://127.0.0.1:9"), encoding="utf-8"
    )
    result = run_cli(
        "fetch-spec",
        "2025-12-18",
        env={
            "SPECQA_RELEASES_FILE": str(manifest),
            "SPECQA_DOWNLOAD_DIR": str(tmp_path / "dl"),
            "SPECQA_SPEC_DIR": "",
        },
    )
    assert result.returncode == 2
    assert "cannot download http://127.0.0.1:9/" in result.stderr
    assert not list((tmp_path / "dl").glob("*.md"))
