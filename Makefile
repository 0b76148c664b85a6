# specqa: `make run` installs, gets the spec, ingests and serves; `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# Offline machines read the releases from a local folder; online ones download them.
SPEC_DIR ?= $(if $(wildcard ../shared/model-spec/releases.json),$(abspath ../shared/model-spec),)
export SPECQA_SPEC_DIR ?= $(SPEC_DIR)
export HF_HUB_OFFLINE := 1
# The tests' tuned model, cached on this machine by its fingerprint (tuning takes minutes; a changed
# fingerprint misses and tunes), shared by every clone like pip's cache; the image build reuses it.
export SPECQA_TEST_MODEL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/specqa/models
# pytest-xdist workers (one per core here); the session's model and index are made once for all.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadscope

.PHONY: setup system-deps spec ingest run serve test test-fast lint typecheck pytest bench eval calibrate image-test clean

setup: $(VENV)/.installed

# Everything, the [ingest] extra (torch) included. The Dockerfile runs the same script (without
# --dev --editable; --serve-only for the runtime's venv), so the two cannot drift.
# PIP_COMPILE=0 and then compileall on both cores: pip byte-compiles the 22,000-odd files one at
# a time (45 s of CPU); compileall -j 0 takes about 27 s. Compiled here because where
# PYTHONDONTWRITEBYTECODE is set (CI, this project's machines) Python never caches what it
# compiles on import: every process compiled its ~1,600 modules again, 2.7 s of each cold start
# (7.8 s → 5.0 s) and of every CLI call. A package's own test files may not compile (torch ships
# Python 3.12 syntax): those are skipped, and compile on import if ever imported.
$(VENV)/.installed: pyproject.toml scripts/install.sh
	PIP_COMPILE=0 bash scripts/install.sh --dev --editable $(VENV)
	$(PY) -m compileall -q -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" > /dev/null || true
	touch $@

system-deps:  ## Debian packages for the browser tests, the shared-state and feedback tests (root)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v redis-server >/dev/null \
	  && { command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver redis-server postgresql >/dev/null)

spec: setup
	@if [ -n "$(SPECQA_SPEC_DIR)" ]; then echo "using releases in $(SPECQA_SPEC_DIR)"; else $(BIN)/specqa fetch-spec; fi

ingest: spec
	$(BIN)/specqa ingest

run: ingest
	$(BIN)/specqa serve

serve: setup
	$(BIN)/specqa serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

pytest: setup system-deps
	$(BIN)/pytest $(PYTEST_PARALLEL) --durations=25  # where the time goes, in every CI log

test: lint typecheck pytest

# The tests that start no process, server or browser and build no venv or image (see tests/conftest.py).
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(PYTEST_PARALLEL) -m "not system and not browser and not packaging and not slow"

eval: setup
	@for set in questions prompts heldout everyday bottomline offtopic; do for split in dev test; do $(BIN)/specqa eval --questions tests/eval/$$set.jsonl --split $$split || exit 2; done; done
	@for set in blind blind2 blind3 blind4; do $(BIN)/specqa eval --questions tests/eval/$$set.jsonl --split dev || exit 2; done  # written blind, all dev
	@for set in blind5 blind6; do $(BIN)/specqa eval --questions tests/eval/$$set.jsonl --split test || exit 2; done  # written blind, all test: only reported
	@$(BIN)/specqa bank short-answers  # the bank's own questions, each asked with itself left out

# A third of the bank held out of an index, a tuned model and keys of its own (about 10 minutes on
# 2 cores), then asked as an eval set: the short answer's gates calibrated on questions nothing
# was fitted to (`bank short-answers` leaves a question out of the matches, not of the tuning).
CALIBRATION ?= index/calibration
calibrate: spec
	$(BIN)/specqa bank split --fold 0 --folds 3 --out $(CALIBRATION)
	SPECQA_QUESTION_BANK=$(CALIBRATION)/bank.jsonl $(BIN)/specqa ingest --index-dir $(CALIBRATION)/index
	SPECQA_QUESTION_BANK=$(CALIBRATION)/bank.jsonl $(BIN)/specqa eval --questions $(CALIBRATION)/held_out.jsonl --index-dir $(CALIBRATION)/index

bench: setup
	$(PY) bench/bench.py

image-test:  ## build the Dockerfile with podman and ask the image a question (root; .ci/run runs it)
	@command -v podman >/dev/null && command -v buildah >/dev/null && command -v debootstrap >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap >/dev/null)
	bash scripts/image-test.sh

clean:
	rm -rf $(VENV) index/chroma index/models index/*.json index/embed_cache.sqlite index/calibration  # not feedback.sqlite
