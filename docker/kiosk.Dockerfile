# syntax=docker/dockerfile:1.7
# The kiosk server image (apps/kiosk/server.ts: the API over node:http, the pages from the
# Next.js build) and, from the same build, the payment-worker and migration images. Build from the repository root:
#   docker build -f docker/kiosk.Dockerfile --target server  -t kiosk-server .
#   docker build -f docker/kiosk.Dockerfile --target worker  -t kiosk-worker .
#   docker build -f docker/kiosk.Dockerfile --target migrate -t kiosk-migrate .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV CI=true NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /repo
COPY . .
RUN npx -y pnpm@10.34.9 install --frozen-lockfile
RUN cd apps/kiosk && node_modules/.bin/next build

# Server, worker, migrations and the conformance validator run from the workspace sources with
# tsx (one code base; the server adds the Next.js build in apps/kiosk/.next).
# Only what they run is copied (never the whole build tree): secrets reach containers as
# Docker secrets at run time, never through an image layer (docs/security.md).
FROM ${NODE_IMAGE} AS workspace
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/* \
 && groupadd --system kiosk && useradd --system --gid kiosk --home /app kiosk
WORKDIR /app
COPY --from=build --chown=kiosk:kiosk /repo/package.json /repo/pnpm-workspace.yaml ./
COPY --from=build --chown=kiosk:kiosk /repo/node_modules ./node_modules
COPY --from=build --chown=kiosk:kiosk /repo/packages ./packages
COPY --from=build --chown=kiosk:kiosk /repo/apps/kiosk ./apps/kiosk
# The conformance validator (the console's "run conformance" and `tsx tooling/conformance/src/cli.ts`).
COPY --from=build --chown=kiosk:kiosk /repo/tooling/conformance ./tooling/conformance

FROM workspace AS worker
USER kiosk
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["node", "-e", "process.kill(1, 0)"]
ENTRYPOINT ["tini", "--"]
CMD ["node_modules/.bin/tsx", "packages/api/scripts/worker.ts"]

FROM workspace AS migrate
USER kiosk
ENTRYPOINT ["tini", "--"]
CMD ["node_modules/.bin/tsx", "packages/api/scripts/migrate.ts"]

FROM workspace AS server
ENV HOST=0.0.0.0 PORT=3000 WORKER=off
USER kiosk
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--"]
CMD ["node_modules/.bin/tsx", "apps/kiosk/server.ts"]
