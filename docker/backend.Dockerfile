# Reference backend image (context: services/backend).
#
#   deps     a virtualenv with the pinned runtime dependencies (pip only here)
#   build    the application source, byte-compiled and import-checked
#   dev      the venv + uvicorn --reload; compose.dev.yaml bind-mounts the source
#   runtime  (default) python:3.13-slim + venv + source, UID 1001, no build tools
#
# No "# syntax=" line on purpose: that would pull docker/dockerfile from Docker
# Hub; BuildKit's built-in frontend (engine >= 25) supports everything used here.
#
# Build secret "ca" (optional): a CA bundle for a TLS-intercepting proxy. It is
# mounted for the pip step only and never lands in a layer.

FROM python:3.13-slim AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /build
COPY requirements.txt .
# --without-pip: pip stays in the base image (about 13 MB less in the venv);
# "pip --python" installs into the venv from outside it.
RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false \
    --mount=type=cache,target=/root/.cache/pip \
    if [ -s /run/secrets/ca.pem ]; then export PIP_CERT=/run/secrets/ca.pem; fi \
    && python -m venv --without-pip /opt/venv \
    && pip --python /opt/venv/bin/python install --only-binary=:all: --no-deps \
        --requirement requirements.txt \
    && pip --python /opt/venv/bin/python check

FROM deps AS build
WORKDIR /app
COPY todo_api/ /app/todo_api/
# Import-check with the real dependencies, then byte-compile the app so that
# the read-only runtime container does not recompile it on every start.
RUN /opt/venv/bin/python -c "import todo_api.main, todo_api.healthcheck" \
    && /opt/venv/bin/python -m compileall -q --invalidation-mode checked-hash todo_api

FROM python:3.13-slim AS base
# A fixed, numeric, non-root UID/GID 1001 that dockwright's policy checks for;
# /data is where the SQLite database lives (a named volume in compose).
RUN groupadd --system --gid 1001 app \
    && useradd --system --uid 1001 --gid 1001 --no-log-init --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin app \
    && install -d -o 1001 -g 1001 -m 0750 /data
COPY --from=deps /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000
WORKDIR /app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --start-interval=1s --retries=3 \
    CMD ["python", "-m", "todo_api.healthcheck"]
USER 1001:1001
# OCI metadata after the heavy layers: a new version or revision only redoes
# the cheap steps from here on.
ARG VERSION=0.0.0
ARG CREATED=""
ARG REVISION=""
ARG SOURCE=""
ARG TITLE="dockwright-ref-backend"
ENV APP_VERSION=${VERSION}
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.title="${TITLE}" \
      org.opencontainers.image.description="dockwright reference backend: a FastAPI todo API"

FROM base AS dev
ENV ENVIRONMENT=development
COPY todo_api/ /app/todo_api/
CMD ["python", "-m", "todo_api", "--reload"]

FROM base AS runtime
COPY --from=build /app/todo_api/ /app/todo_api/
CMD ["python", "-m", "todo_api"]
