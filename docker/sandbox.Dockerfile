# syntax=docker/dockerfile:1.7
# The Alipay sandbox gateway, for staging fleets and demos. Build from the repo root:
#   docker build -f docker/sandbox.Dockerfile -t alipay-sandbox .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV CI=true
WORKDIR /repo
COPY . .
RUN npx -y pnpm@10.34.9 install --frozen-lockfile --ignore-scripts --filter @kiosk/alipay-sandbox... \
 && npx -y pnpm@10.34.9 --filter @kiosk/alipay-sandbox deploy --prod --legacy --ignore-scripts /out

FROM ${NODE_IMAGE} AS sandbox
ENV NODE_ENV=production SANDBOX_HOST=0.0.0.0 SANDBOX_PORT=4010
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/* \
 && groupadd --system sandbox && useradd --system --gid sandbox sandbox
WORKDIR /app
COPY --from=build --chown=sandbox:sandbox /out ./
USER sandbox
EXPOSE 4010
HEALTHCHECK --interval=15s --timeout=5s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:4010/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--"]
CMD ["node_modules/.bin/tsx", "src/main.ts"]
