# syntax=docker/dockerfile:1
# The gateway's image: `smartgate serve` as a non-root user, settings from SMARTGATE_*
# variables (docs/operations.md), deployment in docs/deploying.md.
#
#   docker build -t smartgate:0.1.0 .
#
# The builder turns the project and every dependency into wheels; the final stage installs
# them from there, so it needs neither a compiler nor the network, and keeps no source.

FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connectors ./connectors
COPY gateway ./gateway
RUN pip wheel --wheel-dir /wheels .


FROM python:3.11-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SMARTGATE_HOST=0.0.0.0 \
    SMARTGATE_PORT=8000

# A fixed numeric id, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 smartgate \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin smartgate

# The wheels are mounted for this one step, not copied: no layer keeps them.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/smartgate-*.whl

USER 10001:10001
EXPOSE 8000

# /healthz answers while the process does (it checks no source), on SMARTGATE_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SMARTGATE_PORT', '8000') + '/healthz', timeout=4)"]

# `smartgate serve` by default; `docker run IMAGE token --role ADMIN ...` runs another
# subcommand. Exec form: smartgate is PID 1 and gets SIGTERM itself, and drains.
ENTRYPOINT ["smartgate"]
CMD ["serve"]
