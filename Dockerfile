# syntax=docker/dockerfile:1
# specqa: `docker build -t specqa .` then `docker run -p 8000:8000 specqa`.
#
# builder: installs two venvs with scripts/install.sh (the script `make setup` runs, so the image
#          and the development environment cannot drift): /opt/venv serve-only (no torch, no
#          sentence-transformers: the runtime's) and /opt/ingest-venv with everything; downloads
#          the five releases and verifies their sha256 (`specqa fetch-spec`), builds the index
#          with the model tuned on the spec and its ONNX export under index/models (`specqa
#          ingest`), and checks that the serve-only venv answers from it;
# runtime: the serve-only venv, the spec and the whole index on a slim base, as an unprivileged
#          user, answering as soon as it starts (no download and no ingest at run time).
#
# Without Docker Hub or the internet (scripts/image-test.sh builds it so with podman): any Debian
# bookworm image with python3.11 as PYTHON_IMAGE (scripts/base-image.sh makes one), and folders
# mounted read-only with --volume: a CA bundle (PIP_CERT), a wheel folder holding the CPU torch
# (PIP_FIND_LINKS, with TORCH_INDEX_URL empty), the releases (SPEC_DIR), a model cache
# (MODEL_CACHE: the tests' tuned model, so the build does not tune it again) and an embedding
# cache (EMBED_CACHE: the tests' session index, so it does not embed again what they embedded).
#
# Every command run here is also run by the tests (tests/test_packaging.py).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# The CPU build of torch (no CUDA libraries in the image).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG PIP_CERT
ARG PIP_FIND_LINKS
# A folder of model_spec-<release>.md files inside the build (a --volume): copied, not downloaded.
ARG SPEC_DIR
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scripts/install.sh scripts/install.sh
COPY specqa/ specqa/
COPY ingest/ ingest/
COPY server/ server/
# pip's cache is a build cache mount: kept between builds on the machine, never in the image;
# the second install takes the first one's downloads from it. The ingest venv stays in the
# builder and is not byte-compiled (PIP_COMPILE=0: torch and co., most of a minute of CPU);
# /opt/venv, which the runtime's user runs read-only, is.
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked \
    bash scripts/install.sh --serve-only /opt/venv \
 && PIP_COMPILE=0 TORCH_INDEX_URL="${TORCH_INDEX_URL}" bash scripts/install.sh /opt/ingest-venv
ENV PATH=/opt/ingest-venv/bin:${PATH}
COPY spec/releases.json spec/question_bank.jsonl spec/not_covered.jsonl spec/
RUN if [ -n "${SPEC_DIR}" ]; then mkdir -p spec/releases && cp "${SPEC_DIR}"/model_spec-*.md spec/releases/; fi \
 && specqa fetch-spec
# A folder of models tuned before (a --volume) goes where the ingest looks: it reuses a tuned model
# whose fingerprint matches and tunes otherwise; then only the models the index uses stay.
# Likewise a folder holding an index's embed_cache.sqlite (EMBED_CACHE, a --volume: the tests'
# session index): vectors are keyed by model name (the tuned one's carries its fingerprint) and
# text, so the ingest embeds only what it does not find there.
ARG MODEL_CACHE
ARG EMBED_CACHE
RUN if [ -n "${MODEL_CACHE}" ]; then mkdir -p index/models && cp -R "${MODEL_CACHE}"/. index/models/; fi
RUN if [ -n "${EMBED_CACHE}" ]; then mkdir -p index && cp "${EMBED_CACHE}"/embed_cache.sqlite index/; fi
RUN specqa ingest
RUN python -c "import json, pathlib, shutil; used = json.load(open('index/current.json'))['embed_model'].rpartition('-tuned-')[2]; [shutil.rmtree(p) for p in pathlib.Path('index/models').glob('*tuned-*') if used not in p.name]"
RUN /opt/venv/bin/specqa ask "Should the model reveal its system prompt?" --json > /dev/null

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 specqa \
 && useradd --system --uid 10001 --gid specqa --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin specqa
ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    SPECQA_PORT=8000
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder --chown=specqa:specqa /app/spec /app/spec
COPY --from=builder --chown=specqa:specqa /app/index /app/index
USER specqa
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('SPECQA_PORT', '8000'), timeout=4)"]
CMD ["specqa", "serve", "--host", "0.0.0.0"]
