#!/usr/bin/env bash
# Build the image for real and ask it a question (`make image-test`).
#
# Builds the Dockerfile with podman (vfs storage, chroot isolation: no Docker engine, no daemon)
# on the Debian base from scripts/base-image.sh, then, inside the built image as its unprivileged
# user (buildah run, which shares the host's network), starts `specqa serve` on a free loopback
# port, waits for /readyz, runs the image's HEALTHCHECK command, checks that torch is absent, asks a
# question over POST /v1/answer and checks every citation against the section it names, then runs
# `specqa ingest` in it (what compose's ingest service does: nothing to embed). It stops and
# removes all it started and exits non-zero on any failure. Prints the build time, the image
# size and the time to ready.
#
# Offline-friendly: the machine's CA bundle ($PIP_CERT or Debian's), its wheel folder
# ($PIP_FIND_LINKS, holding the CPU torch) and the releases ($SPECQA_SPEC_DIR or
# ../shared/model-spec) are mounted read-only into the build when present, and so is the tests'
# model cache ($SPECQA_TEST_MODEL_CACHE or ~/.cache/specqa/models): the build's ingest reuses the
# tuned model from it when the fingerprint matches instead of tuning again (minutes); and, when
# $SPECQA_TEST_INDEX_DIR holds a kept session index, its embedding cache (the ingest then embeds
# only the chunks it does not find there). Prints each build step's time.
#
#   KEEP_IMAGE=1   keep the built image (localhost/specqa:image-test) afterwards
# Needs root and the Debian packages podman, buildah and debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

image="localhost/specqa:image-test"
podman=(podman --storage-driver vfs)
buildah=(buildah --storage-driver vfs)
question="Should the model reveal its system prompt?"
ready_timeout_s=300

say() { echo "image-test: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
for tool in podman buildah debootstrap curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install podman buildah debootstrap curl)"
done

container="" server_pid="" workdir="$(mktemp -d)"
cleanup() {
  [ -n "$server_pid" ] && stop_server
  [ -n "$container" ] && "${buildah[@]}" rm "$container" >/dev/null 2>&1 || true
  if [ "${KEEP_IMAGE:-0}" != 1 ]; then
    "${podman[@]}" rmi --force "$image" >/dev/null 2>&1 || true
    "${podman[@]}" image prune --force >/dev/null 2>&1 || true  # the builder stage
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

# --- build ---------------------------------------------------------------------------------------
base="$(scripts/base-image.sh)"
build_args=(--build-arg "PYTHON_IMAGE=$base")
ca="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
if [ -f "$ca" ]; then
  build_args+=(--volume "$ca:/run/specqa/ca.crt:ro" --build-arg PIP_CERT=/run/specqa/ca.crt)
fi
if [ -n "${PIP_FIND_LINKS:-}" ] && [ -d "$PIP_FIND_LINKS" ]; then
  build_args+=(--volume "$PIP_FIND_LINKS:/run/specqa/wheels:ro"
    --build-arg PIP_FIND_LINKS=/run/specqa/wheels --build-arg TORCH_INDEX_URL=)
fi
spec_dir="${SPECQA_SPEC_DIR:-../shared/model-spec}"
if [ -f "$spec_dir/releases.json" ]; then
  build_args+=(--volume "$(cd "$spec_dir" && pwd):/run/specqa/spec:ro"
    --build-arg SPEC_DIR=/run/specqa/spec)
fi
model_cache="${SPECQA_TEST_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/specqa/models}"
if [ -d "$model_cache" ] && [ -n "$(ls -A "$model_cache")" ]; then
  build_args+=(--volume "$(cd "$model_cache" && pwd):/run/specqa/models:ro"
    --build-arg MODEL_CACHE=/run/specqa/models)
fi
# the tests' session index, when kept (.ci/run keeps it in the clone): its embedding cache
index_dir="${SPECQA_TEST_INDEX_DIR:-}"
if [ -n "$index_dir" ] && [ -f "$index_dir/embed_cache.sqlite" ]; then
  build_args+=(--volume "$(cd "$index_dir" && pwd):/run/specqa/index:ro"
    --build-arg EMBED_CACHE=/run/specqa/index)
fi
say "building $image on $base"
started=$(date +%s)
# --layers=false: with vfs every cached layer is a full copy of the file system;
# --format docker: the OCI format has no HEALTHCHECK
# each line of the build's output prefixed with the seconds since the build started
stamp() { while IFS= read -r line; do printf '%5d %s\n' $((EPOCHSECONDS - started)) "$line"; done; }
nice -n 10 "${podman[@]}" build --isolation chroot --layers=false --format docker "${build_args[@]}" \
  -t "$image" . 2>&1 | stamp >"$workdir/build.log" || { tail -40 "$workdir/build.log" >&2; fail "build"; }
build_s=$(($(date +%s) - started))
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$image")
say "built in ${build_s} s; image size $((size / 1000000)) MB"
# where the build's time went: each step's seconds (the ones over 5 s); podman prints
# "[1/2] STEP 3/14: RUN ..."
awk -v end="$build_s" '
  function done_step() { if (step != "" && $1 + 0 - at > 5) printf "image-test:   %4d s  %s\n", $1 - at, step }
  /STEP [0-9]+\/[0-9]+: / { done_step(); at = $1; step = substr($0, index($0, "STEP")); step = substr(step, 1, 100) }
  END { $1 = end; done_step() }' "$workdir/build.log" >&2
grep -m1 " embedding model" "$workdir/build.log" | sed 's/^ *[0-9]* /image-test: /' >&2 || true  # reused or tuned

# --- run it as the image's user, on loopback ----------------------------------------------------
container=$("${buildah[@]}" from --pull-never "$image")
in_image() { "${buildah[@]}" run --isolation chroot --user specqa "$@"; }
# `buildah run` does not pass a signal on to the command it runs: stop the server itself, found by
# its command line (the port makes it unique), then the buildah process.
stop_server() {
  pkill -TERM -f "specqa serve --host 127.0.0.1 --port $port" 2>/dev/null || true
  for _ in $(seq 50); do
    pgrep -f "specqa serve --host 127.0.0.1 --port $port" >/dev/null || break
    sleep 0.2
  done
  pkill -KILL -f "specqa serve --host 127.0.0.1 --port $port" 2>/dev/null || true
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
in_image "$container" -- python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is not None)' ||
  fail "torch is in the runtime image"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
started=$(date +%s.%N)
in_image "$container" -- specqa serve --host 127.0.0.1 --port "$port" \
  >"$workdir/serve.log" 2>&1 &
server_pid=$!
until curl -fsS "$url/readyz" >"$workdir/ready.json" 2>/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { tail -20 "$workdir/serve.log" >&2; fail "specqa serve exited"; }
  elapsed=$(python3 -c "import time; print(int(time.time() - $started))")
  [ "$elapsed" -lt "$ready_timeout_s" ] || fail "not ready after ${ready_timeout_s} s"
  sleep 0.2
done
ready_s=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
say "ready in ${ready_s} s on $url"

# the image's own HEALTHCHECK command, run inside it
health=$("${podman[@]}" image inspect --format '{{json .Config.Healthcheck.Test}}' "$image")
mapfile -t health_cmd < <(python3 -c 'import json, sys; t = json.loads(sys.argv[1]); assert t[0] == "CMD", t; print("\n".join(t[1:]))' "$health")
in_image --env "SPECQA_PORT=$port" "$container" -- "${health_cmd[@]}" || fail "the HEALTHCHECK fails"

# --- a question, and its citations checked against the sections they name -----------------------
curl -fsS "$url/v1/answer" -H 'content-type: application/json' \
  -d "{\"question\": \"$question\"}" >"$workdir/answer.json" || fail "POST /v1/answer"
python3 - "$url" "$workdir/ready.json" "$workdir/answer.json" spec/releases.json <<'PY' || fail "the answer"
import json
import sys
import urllib.parse
import urllib.request

url, ready, answer, manifest = sys.argv[1:]
releases = [r["version"] for r in json.load(open(manifest))["releases"]]
ready = json.load(open(ready))
assert ready["status"] == "ready" and ready["releases"] == releases, ready
answer = json.load(open(answer))
citations = answer["citations"]
assert citations, "no citations"
assert answer["release"] == releases[-1], answer["release"]
for citation in citations:
    section_id, release = citation["section_id"], citation["release"]
    query = urllib.parse.urlencode({"release": release})
    with urllib.request.urlopen(f"{url}/v1/sections/{section_id}?{query}", timeout=30) as response:
        section = json.load(response)
    assert section["title"] == citation["title"], (section["title"], citation["title"])
    assert citation["quote"].strip(), f"{section_id}: empty quote"
    assert citation["url"].startswith("https://"), citation["url"]
    print(f"image-test: cited {section_id} ({citation['authority']}, {release})", file=sys.stderr)
PY
# what compose's ingest service does with this image: re-ingest, serve-only (no torch), once the
# server is gone (the embedded store is not process-safe)
stop_server
pgrep -f "specqa serve --host 127.0.0.1 --port $port" >/dev/null && fail "the server did not stop"
in_image "$container" -- specqa ingest --json >"$workdir/ingest.json" 2>"$workdir/ingest.log" ||
  { tail -5 "$workdir/ingest.log" >&2; fail "specqa ingest in the image"; }
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["embedded"] == 0, r' \
  "$workdir/ingest.json" || fail "the re-ingest in the image embedded something"
say "re-ingest in the image: nothing to embed"
say "passed: build ${build_s} s, image $((size / 1000000)) MB, ready in ${ready_s} s"
