# syntax=docker/dockerfile:1.7
# The hardware bridge. On a kiosk PC the bridge usually runs as a systemd service
# (see docs); this image is for kiosks run as containers, with the USB/HID devices
# passed through (--device /dev/hidraw0, --device /dev/bus/usb). Build from the repo root:
#   docker build -f docker/bridge.Dockerfile -t kiosk-bridge .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV CI=true
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ libusb-1.0-0 libudev1 && rm -rf /var/lib/apt/lists/*
WORKDIR /repo
COPY . .
RUN npx -y pnpm@10.34.9 install --frozen-lockfile --filter @kiosk/bridge... \
 && npx -y pnpm@10.34.9 --filter @kiosk/bridge deploy --prod --legacy /out

FROM ${NODE_IMAGE} AS bridge
ENV NODE_ENV=production BRIDGE_HOST=127.0.0.1 BRIDGE_DATA_DIR=/var/lib/kiosk-bridge
RUN apt-get update && apt-get install -y --no-install-recommends tini libusb-1.0-0 libudev1 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system bridge && useradd --system --gid bridge --groups plugdev,dialout bridge \
 && mkdir -p /var/lib/kiosk-bridge && chown bridge:bridge /var/lib/kiosk-bridge
WORKDIR /app
COPY --from=build --chown=bridge:bridge /out ./
USER bridge
EXPOSE 7878
HEALTHCHECK --interval=15s --timeout=5s --retries=3 CMD ["node", "-e", "const s=require('node:net').connect(Number(process.env.BRIDGE_PORT||7878),'127.0.0.1',()=>{s.end();process.exit(0)});s.on('error',()=>process.exit(1))"]
ENTRYPOINT ["tini", "--"]
CMD ["node_modules/.bin/tsx", "src/main.ts"]
