# syntax=docker/dockerfile:1
#
# One image recipe for the services; the build argument SERVICE picks which:
#
#   docker build --build-arg SERVICE=gateway  -t invite-platform/gateway:0.1.0  .
#   docker build --build-arg SERVICE=invites  -t invite-platform/invites:0.1.0  .
#   docker build --build-arg SERVICE=notifier -t invite-platform/notifier:0.1.0 .
#   docker build --build-arg SERVICE=webhooks -t invite-platform/webhooks:0.1.0 .
#
# The webhook dispatcher is the invites workspace's code run as its own process
# (services/invites/src/webhooks/server.ts): its image holds that workspace.
#
# One file rather than three because the services share everything that matters here
# (the workspace layout, the lockfile, libs/, the runtime): three copies would drift.
#
# Node 24 runs the TypeScript sources directly (type stripping), so there is no
# compile step: the build stage only installs the production dependencies of the
# chosen workspace (and of libs/*) from the lockfile, and the runtime stage copies
# the result onto a clean image with tini as PID 1, running as the unprivileged user
# `node` (uid 1000).

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=gateway|invites|notifier|webhooks" >&2; exit 1; }
WORKDIR /app

# Manifests first, so the install layer is rebuilt only when dependencies change.
# npm ci checks the lockfile against every workspace's package.json: a new workspace
# needs its line here.
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/
COPY libs/telemetry/package.json libs/telemetry/
COPY libs/sdk/package.json libs/sdk/
COPY libs/templates/package.json libs/templates/
COPY services/gateway/package.json services/gateway/
COPY services/invites/package.json services/invites/
COPY services/notifier/package.json services/notifier/

# The workspace this image runs (each service's operator CLI, src/admin.ts, ships with it).
RUN case "${SERVICE}" in \
      gateway|notifier|invites) echo "services/${SERVICE}" ;; \
      webhooks) echo "services/invites" ;; \
      *) echo "unknown SERVICE '${SERVICE}'" >&2; exit 1 ;; \
    esac > /tmp/workspaces

# --omit=dev: no test tooling; --include-workspace-root=false: not the root's
# devDependencies either. argon2 (invites) ships prebuilt binaries for linux-x64 and
# linux-arm64 glibc, so no compiler is needed.
RUN --mount=type=cache,target=/root/.npm \
    set -eu; \
    flags="--workspace libs"; \
    for ws in $(cat /tmp/workspaces); do flags="$flags --workspace $ws"; done; \
    npm ci --omit=dev --include-workspace-root=false --no-audit --no-fund $flags

COPY libs ./libs
COPY services ./services
COPY deploy/docker/healthcheck.mjs deploy/docker/warm-compile-cache.mjs ./

# Assemble exactly what runs into /out: root manifest, dependencies, libs, the chosen workspaces.
RUN set -eu; \
    mkdir -p /out/services; \
    cp -a package.json node_modules libs healthcheck.mjs warm-compile-cache.mjs /out/; \
    for ws in $(cat /tmp/workspaces); do cp -a "$ws" /out/services/; done; \
    case "${SERVICE}" in \
      webhooks) ln -s services/invites/src/webhooks/server.ts /out/server.ts ;; \
      *) ln -s "services/${SERVICE}/src/server.ts" /out/server.ts ;; \
    esac

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
# tini reaps zombies and forwards SIGTERM to node, whose handlers drain NATS and close
# the database (node as PID 1 would ignore signals it has no handler for).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

# The heap flags, the allocator's arena count and the compile cache are those of
# npm start; scripts/service-process.ts says why each. The flags are in NODE_OPTIONS
# rather than in CMD so that a deployment can change them without a new image.
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256" \
    MALLOC_ARENA_MAX=4 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    NODE_COMPILE_CACHE=/app/.compile-cache
WORKDIR /app
# Owned by root and not writable by the user that runs them.
COPY --from=build /out /app

# The compile cache is filled by the user that runs the service (Node keeps one per
# user and writes its files readable by their owner only), then handed to root like
# the rest of /app: readable, not writable, at run time.
RUN install -d -o 1000 -g 1000 /app/.compile-cache
USER 1000:1000
RUN node warm-compile-cache.mjs
USER root
RUN chown -R root:root /app/.compile-cache && chmod -R a+rX,go-w /app/.compile-cache

LABEL org.opencontainers.image.title="invite-platform-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/invite-platform/invite-platform" \
      org.opencontainers.image.licenses="Apache-2.0"

USER 1000:1000
EXPOSE 3000 9101 9102 9103
# /readyz of the service's own port (GATEWAY_PORT, INVITES_HTTP_PORT, NOTIFIER_HTTP_PORT or WEBHOOKS_HTTP_PORT).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "server.ts"]
