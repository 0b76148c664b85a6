"""Where release files come from: the manifest, a local folder, or a verified download."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from specqa.core.errors import SpecSourceError, UnknownReleaseError
from specqa.core.names import did_you_mean, resolve_release
from specqa.core.settings import CoreSettings

__all__ = ["ReleaseInfo", "ReleaseSource", "load_manifest"]


@dataclass(frozen=True)
class ReleaseInfo:
    version: str
    commit: str
    url: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"model_spec-{self.version}.md"


def load_manifest(path: Path) -> list[ReleaseInfo]:
    """Releases oldest first, as listed in ``spec/releases.json``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        releases = [
            ReleaseInfo(r["version"], r["commit"], r["url"], r["sha256"]) for r in raw["releases"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SpecSourceError(f"cannot read release manifest {path}: {exc}") from exc
    return sorted(releases, key=lambda r: r.version)


class ReleaseSource:
    """Reads verified release text from ``spec_dir`` (if set) or the download folder."""

    def __init__(self, settings: CoreSettings) -> None:
        self.manifest = load_manifest(settings.spec.releases_file)
        self.local_dir = settings.spec.spec_dir
        self.download_dir = settings.spec.download_dir

    @property
    def versions(self) -> list[str]:
        return [r.version for r in self.manifest]

    def info(self, version: str) -> ReleaseInfo:
        version = resolve_release(version, self.versions) or version
        for release in self.manifest:
            if release.version == version:
                return release
        known = ", ".join(self.versions)
        hint = did_you_mean(version, self.versions)
        raise UnknownReleaseError(f"unknown release {version!r}{hint} (known: {known})")

    def select(self, versions: list[str] | None) -> list[ReleaseInfo]:
        if not versions:
            return list(self.manifest)
        return sorted({self.info(v) for v in versions}, key=lambda r: r.version)

    def read(self, version: str) -> str:
        """The release's markdown, after checking its sha256 against the manifest."""
        release = self.info(version)
        folder = self.local_dir or self.download_dir
        path = folder / release.filename
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            hint = "" if self.local_dir else " (run `specqa fetch-spec` or set SPECQA_SPEC_DIR)"
            raise SpecSourceError(f"release file missing: {path}{hint}") from None
        except OSError as exc:
            raise SpecSourceError(f"cannot read {path}: {exc.strerror}") from exc
        _verify(release, data, str(path))
        return data.decode("utf-8")

    def fetch(self, versions: list[str] | None = None, timeout_s: float = 60.0) -> list[str]:
        """Download missing releases into the download folder; returns the versions fetched."""
        fetched: list[str] = []
        self.download_dir.mkdir(parents=True, exist_ok=True)
        for release in self.select(versions):
            target = self.download_dir / release.filename
            if target.exists():
                _verify(release, target.read_bytes(), str(target))
                continue
            data = _download(release.url, timeout_s)
            _verify(release, data, release.url)
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            os.replace(partial, target)
            fetched.append(release.version)
        return fetched


def _verify(release: ReleaseInfo, data: bytes, where: str) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != release.sha256:
        raise SpecSourceError(
            f"checksum mismatch for release {release.version} ({where}): "
            f"expected sha256 {release.sha256[:12]}…, got {digest[:12]}…"
        )


def _download(url: str, timeout_s: float) -> bytes:
    try:
        response = httpx.get(url, timeout=timeout_s, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise SpecSourceError(f"cannot download {url}: {exc}") from exc
    return response.content
