"""The Docker image and compose file, checked without a Docker engine (there is none here).

Every command the Dockerfile runs is run here too: the install script (into a fresh venv, the
image's exact invocation), `specqa fetch-spec` (downloading and verifying from a loopback server;
the unreachable-upstream error is in test_sources.py), `specqa ingest` from the downloaded files,
and the image's CMD and HEALTHCHECK against that index. The Makefile's setup target calls the same
install script, so `make setup` / `.ci/run` and the image cannot drift.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from ingest.pipeline import IngestReport
from specqa.settings import Settings
from tests.conftest import RELEASES, REPO, run_cli, spec_dir

INSTALL = REPO / "scripts" / "install.sh"


# --- reading the Dockerfile -------------------------------------------------------------------
@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def dockerfile_stages() -> list[Stage]:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE)
            assert match, line
            stages.append(Stage(match.group(2) or str(len(stages)), match.group(1)))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    stages = dockerfile_stages()
    assert [s.name for s in stages] == ["builder", "runtime"]
    builder, runtime = stages
    assert builder.base == runtime.base == "${PYTHON_IMAGE}"
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    # the runtime gets the builder's venv, spec and index, and nothing is installed there
    copies = runtime.all("COPY")
    for wanted in ("/opt/venv", "/app/spec", "/app/index"):
        assert any(c.startswith("--from=builder") and wanted in c for c in copies), wanted
    assert not any("install" in r for r in runtime.all("RUN") if "useradd" not in r)
    users = runtime.all("USER")
    assert users and users[-1] not in ("root", "0"), users
    assert "useradd --system" in " ".join(runtime.all("RUN"))


def test_dockerfile_installs_cpu_torch_offline_and_serves_on_8000_with_a_healthcheck() -> None:
    builder, runtime = dockerfile_stages()
    assert any(
        "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in a for a in builder.all("ARG")
    )
    env = " ".join(runtime.all("ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "SPECQA_PORT=8000" in env
    assert runtime.all("EXPOSE") == ["8000"]
    assert exec_form(runtime.all("CMD")[-1]) == ["specqa", "serve", "--host", "0.0.0.0"]
    (health,) = runtime.all("HEALTHCHECK")
    assert "/readyz" in health and "--start-period" in health


def test_every_run_line_is_a_command_these_tests_run() -> None:
    """Adding a RUN to the Dockerfile fails here until a test runs it too."""
    builder, runtime = dockerfile_stages()
    assert builder.all("RUN") == [
        'TORCH_INDEX_URL="${TORCH_INDEX_URL}" bash scripts/install.sh /opt/venv',
        "specqa fetch-spec",
        "specqa ingest",
    ]
    # the user is created with standard tools on the Debian base; nothing else runs in runtime
    (create_user,) = runtime.all("RUN")
    assert create_user.startswith("groupadd --system") and "useradd --system" in create_user


def test_the_makefile_installs_through_the_same_script() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]
    assert "bash scripts/install.sh --dev --editable $(VENV)" in recipe
    assert "pip install" not in recipe  # every install step lives in the script
    assert "scripts/install.sh" in recipe.splitlines()[0]  # a changed script re-runs setup


def test_torch_pin_is_the_same_everywhere() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    script = INSTALL.read_text(encoding="utf-8")
    (pinned,) = re.findall(r'"torch==([^"]+)"', pyproject)
    assert f'TORCH_VERSION="{pinned}"' in script


def test_this_environment_matches_the_install_recipe() -> None:
    result = subprocess.run(
        ["bash", str(INSTALL), "--check", sys.prefix], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "matches the recipe" in result.stdout


def test_install_script_rejects_bad_usage() -> None:
    for args in ([], ["--bogus", "x"]):
        result = subprocess.run(["bash", str(INSTALL), *args], capture_output=True, text=True)
        assert result.returncode == 2 and "install.sh" in result.stderr
    result = subprocess.run(
        ["bash", str(INSTALL), "--print", "/opt/venv"],
        capture_output=True,
        text=True,
        env={**os.environ, "TORCH_INDEX_URL": "https://download.pytorch.org/whl/cpu"},
    )
    assert result.stdout.splitlines() == [
        "python3 -m venv /opt/venv",
        "/opt/venv/bin/python -m pip install -q --upgrade pip",
        "/opt/venv/bin/python -m pip install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu",
        "/opt/venv/bin/python -m pip install -q .",
    ]


def test_the_image_install_command_builds_a_working_non_editable_venv(tmp_path: Path) -> None:
    """`bash scripts/install.sh /opt/venv` as the builder runs it, into a fresh venv.

    The heavy dependencies (torch and the rest) are made visible to the new venv through a .pth
    file pointing at this environment's site-packages, so pip finds them installed and downloads
    nothing big; specqa itself is built from a copy of the sources and installed non-editable.
    """
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            "index",
            "tests",
            "bench",
        ),
    )
    base_python = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    )
    venv = tmp_path / "venv"
    subprocess.run([str(base_python), "-m", "venv", str(venv)], check=True, timeout=120)
    site = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "_host_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "TORCH_INDEX_URL"}
    result = subprocess.run(
        ["bash", str(source / "scripts" / "install.sh"), str(venv)],
        capture_output=True,
        text=True,
        env={**env, "PYTHON": str(base_python)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "matches the recipe" in result.stdout
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import server, specqa; print(specqa.__file__, server.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert where.count(str(venv)) == 2, where  # the installed copy, not the sources
    web = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import server, pathlib; print(sorted(p.name for p in (pathlib.Path(server.__file__).parent / 'web').iterdir()))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout
    assert "[]" not in web  # the web page ships as package data


# --- fetch-spec, ingest, CMD and HEALTHCHECK, as in the image -----------------------------------
@pytest.fixture(scope="module")
def release_server() -> Iterator[str]:
    """The release files on a loopback HTTP server, standing in for raw.githubusercontent.com."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(spec_dir()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def image_like(
    tmp_path_factory: pytest.TempPathFactory,
    release_server: str,
    built: tuple[Settings, IngestReport],
) -> dict[str, str]:
    """An /app-like folder after the builder's `specqa fetch-spec` and `specqa ingest`."""
    app = tmp_path_factory.mktemp("app")
    raw = json.loads((REPO / "spec" / "releases.json").read_text(encoding="utf-8"))
    for release in raw["releases"]:
        release["url"] = f"{release_server}/model_spec-{release['version']}.md"
    (app / "releases.json").write_text(json.dumps(raw), encoding="utf-8")
    (app / "index").mkdir()
    # the session index's embedding cache: the ingest below then embeds nothing, and is quick
    shutil.copy(built[0].index_dir / "embed_cache.sqlite", app / "index" / "embed_cache.sqlite")
    env = {
        "SPECQA_RELEASES_FILE": str(app / "releases.json"),
        "SPECQA_DOWNLOAD_DIR": str(app / "releases"),
        "SPECQA_INDEX_DIR": str(app / "index"),
        "SPECQA_SPEC_DIR": "",
    }
    fetched = run_cli("fetch-spec", env=env)
    assert fetched.returncode == 0, fetched.stderr
    env["fetch_stdout"] = fetched.stdout
    ingested = run_cli("ingest", env=env, timeout=600)
    assert ingested.returncode == 0, ingested.stderr
    env["ingest_stdout"] = ingested.stdout
    return env


def test_fetch_spec_downloads_and_verifies_every_release(image_like: dict[str, str]) -> None:
    folder = Path(image_like["SPECQA_DOWNLOAD_DIR"])
    assert "fetched 5 release(s)" in image_like["fetch_stdout"]
    manifest = json.loads(Path(image_like["SPECQA_RELEASES_FILE"]).read_text(encoding="utf-8"))
    for release in manifest["releases"]:
        data = (folder / f"model_spec-{release['version']}.md").read_bytes()
        assert hashlib.sha256(data).hexdigest() == release["sha256"]
    assert not list(folder.glob("*.part"))
    again = run_cli(
        "fetch-spec", env={k: v for k, v in image_like.items() if k.startswith("SPECQA_")}
    )
    assert again.returncode == 0 and "all present and verified" in again.stdout


def test_ingest_reads_the_downloaded_releases(image_like: dict[str, str]) -> None:
    out = image_like["ingest_stdout"]
    for release in RELEASES:
        assert release in out
    assert "embedded 0" in out  # every vector came from the cache
    current = json.loads((Path(image_like["SPECQA_INDEX_DIR"]) / "current.json").read_text())
    assert sorted(current["releases"]) == RELEASES


def test_the_image_cmd_serves_and_its_healthcheck_passes(image_like: dict[str, str]) -> None:
    _, runtime = dockerfile_stages()
    cmd = exec_form(runtime.all("CMD")[-1])
    cmd = [a if a != "0.0.0.0" else "127.0.0.1" for a in cmd]  # loopback only in tests
    health_args = runtime.all("HEALTHCHECK")[0]
    health = exec_form(health_args[health_args.index("CMD") + 3 :].strip())
    health = [sys.executable if a == "python" else a for a in health]
    from bench.load import free_port

    port = free_port()
    env = {
        **os.environ,
        **{k: v for k, v in image_like.items() if k.startswith("SPECQA_")},
        "SPECQA_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "SPECQA_LOG_LEVEL": "WARNING",
    }
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    assert subprocess.run(health, env=env, capture_output=True, timeout=30).returncode != 0  # down
    server = subprocess.Popen(
        [shutil.which(cmd[0], path=bin_dir) or cmd[0], *cmd[1:]],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "specqa serve exited"
            check = subprocess.run(health, env=env, capture_output=True, timeout=30)
            if check.returncode == 0:
                break
            assert time.monotonic() < deadline, check.stderr
            time.sleep(0.5)
        body = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
        assert body["status"] == "ready" and body["releases"] == RELEASES
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/answer",
            json={"question": "Should the model reveal its system prompt?"},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.json()["citations"]
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- compose and .dockerignore -------------------------------------------------------------------
def test_compose_runs_replicas_against_a_chroma_server_after_a_one_shot_ingest() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    chroma, ingest, app = services["chroma"], services["ingest"], services["specqa"]
    assert chroma["image"].startswith("chromadb/chroma:")
    assert any(v.endswith(":/data") for v in chroma["volumes"])
    assert ingest["command"] == ["specqa", "ingest"]
    assert app["deploy"]["replicas"] >= 2
    for service in (ingest, app):
        assert service["environment"]["SPECQA_CHROMA_URL"] == "http://chroma:8000"
        assert service["build"] == "."
    assert app["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert "chroma-data" in compose["volumes"]


def test_dockerignore_keeps_local_state_out_and_the_sources_in() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for private in (".git", ".venv", "index", "spec/releases", ".env"):
        assert private in patterns, private
    builder, _ = dockerfile_stages()
    for copy in builder.all("COPY"):
        for source in shlex.split(copy)[:-1]:
            source = source.rstrip("/")
            assert (REPO / source).exists(), source
            assert not any(fnmatch.fnmatch(source, p) for p in patterns), source
