# syntax=docker/dockerfile:1
# specqa: `docker build -t specqa .` then `docker run -p 8000:8000 specqa`.
#
# builder: installs into /opt/venv with scripts/install.sh (the script `make setup` runs, so the
#          image and the development environment cannot drift), downloads the five releases and
#          verifies their sha256 (`specqa fetch-spec`), and builds the index (`specqa ingest`);
# runtime: the venv, the spec and the index on a slim base, as an unprivileged user, answering as
#          soon as it starts (no download and no ingest at run time: HF_HUB_OFFLINE=1).
#
# Every command run here is also run by the tests (tests/test_packaging.py), since no Docker
# engine is available where this was written.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# The CPU build of torch (no CUDA libraries in the image).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scripts/install.sh scripts/install.sh
COPY specqa/ specqa/
COPY ingest/ ingest/
COPY server/ server/
RUN TORCH_INDEX_URL="${TORCH_INDEX_URL}" bash scripts/install.sh /opt/venv
ENV PATH=/opt/venv/bin:${PATH}
COPY spec/releases.json spec/releases.json
RUN specqa fetch-spec
RUN specqa ingest

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
