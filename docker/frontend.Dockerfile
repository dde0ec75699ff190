# Reference frontend image (context: services/frontend).
#
#   deps     npm ci: the build's devDependencies (esbuild) from package-lock.json
#   build    minified page assets in dist/
#   dev      node --watch server.js serving src/ as it is; compose.dev.yaml
#            bind-mounts the source
#   runtime  (default) node:20-slim + server.js (no dependencies) + dist/,
#            UID 1001, no node_modules, no npm cache
#
# No "# syntax=" line on purpose: that would pull docker/dockerfile from Docker
# Hub; BuildKit's built-in frontend (engine >= 25) supports everything used here.
#
# Build secret "ca" (optional): a CA bundle for a TLS-intercepting proxy. It is
# mounted for the npm step only and never lands in a layer.

FROM node:20-slim AS deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false \
    --mount=type=cache,target=/root/.npm \
    if [ -s /run/secrets/ca.pem ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca.pem; fi \
    && npm ci --no-audit --no-fund --no-update-notifier --loglevel=warn

FROM deps AS build
COPY build.mjs ./
COPY src/ ./src/
RUN npm run build --silent

FROM node:20-slim AS base
# A fixed, numeric, non-root UID/GID 1001 that dockwright's policy checks for
# (the base image's own "node" user is 1000).
RUN groupadd --system --gid 1001 app \
    && useradd --system --uid 1001 --gid 1001 --no-log-init --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin app
ENV PORT=3000 \
    NODE_ENV=production
WORKDIR /app
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --start-interval=1s --retries=3 \
    CMD ["node", "healthcheck.js"]
USER 1001:1001
# OCI metadata after the heavy layers: a new version or revision only redoes
# the cheap steps from here on.
ARG VERSION=0.0.0
ARG CREATED=""
ARG REVISION=""
ARG SOURCE=""
ARG TITLE="dockwright-ref-frontend"
ENV APP_VERSION=${VERSION}
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.title="${TITLE}" \
      org.opencontainers.image.description="dockwright reference frontend: a todo page and its /api proxy"

FROM base AS dev
ENV NODE_ENV=development \
    STATIC_DIR=/app/src
COPY server.js healthcheck.js ./
COPY src/ ./src/
CMD ["node", "--watch", "server.js"]

FROM base AS runtime
COPY server.js healthcheck.js ./
COPY --from=build /build/dist/ ./dist/
CMD ["node", "server.js"]
