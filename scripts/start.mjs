#!/usr/bin/env node
// `npm start`: install, migrate and seed the embedded SQLite database, build, then run
// the kiosk app (with its payment worker), the Alipay sandbox gateway and the bridge
// with virtual devices on this machine. Ctrl-C stops them all.
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  BASE_ENV,
  ROOT,
  bin,
  buildKiosk,
  ensureInstalled,
  log,
  readJson,
  run,
  startChild,
  waitForHttp,
} from "./lib.mjs";

const env = process.env;
const host = "127.0.0.1";
const ports = {
  kiosk: Number(env.KIOSK_PORT ?? 3000),
  sandbox: Number(env.SANDBOX_PORT ?? 4010),
  bridge: Number(env.BRIDGE_PORT ?? 7878),
  bridgeControl: Number(env.BRIDGE_CONTROL_PORT ?? 7879),
  virtualPrinter: Number(env.BRIDGE_VIRTUAL_PRINTER_PORT ?? 9100),
};
const dataDir = resolve(ROOT, env.DATA_DIR ?? "data");
const kioskUrl = `http://${host}:${ports.kiosk}`;
const sandboxUrl = `http://${host}:${ports.sandbox}`;

const started = Date.now();
const children = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  log("stopping…");
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  const deadline = Date.now() + 8000;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  ensureInstalled();
  run(bin("tsx"), ["packages/api/scripts/setup-db.ts"], { env: { DATA_DIR: dataDir } });
  buildKiosk();
} catch (e) {
  log(`start failed: ${e.message}`);
  process.exit(e.exitCode ?? 1);
}

const shared = { ...BASE_ENV, NODE_ENV: "production" };
const demo = () => readJson(join(dataDir, "demo-credentials.json"), {});
const services = [];

const sandboxMain = join(ROOT, "packages/alipay-sandbox/src/main.ts");
if (existsSync(sandboxMain)) {
  const child = startChild("sandbox", bin("tsx"), [sandboxMain], {
    env: { ...shared, SANDBOX_HOST: host, SANDBOX_PORT: String(ports.sandbox), SANDBOX_NOTIFY_BASE_URL: kioskUrl },
  });
  children.push(child);
  services.push({ name: "Alipay sandbox", url: `${sandboxUrl}/healthz`, child });
}

const bridgeMain = join(ROOT, "apps/bridge/src/main.ts");
if (existsSync(bridgeMain)) {
  const child = startChild("bridge", bin("tsx"), [bridgeMain], {
    env: {
      ...shared,
      BRIDGE_HOST: host,
      BRIDGE_PORT: String(ports.bridge),
      BRIDGE_VIRTUAL_CONTROL_PORT: String(ports.bridgeControl),
      // The demo kiosk's and demo counter's device tokens (setup-db issued them): one bridge serves both here.
      BRIDGE_PAIRING_TOKEN: [demo().bridgePairingToken, demo().counterBridgeToken].filter(Boolean).join(","),
      BRIDGE_VIRTUAL_PRINTER_PORT: String(ports.virtualPrinter),
      BRIDGE_PRINTER: env.BRIDGE_PRINTER ?? "virtual",
      BRIDGE_SCANNER: env.BRIDGE_SCANNER ?? "virtual",
      BRIDGE_DATA_DIR: join(dataDir, "bridge"),
      BRIDGE_ALLOWED_ORIGINS: `${kioskUrl},http://localhost:${ports.kiosk}`,
    },
  });
  children.push(child);
  services.push({ name: "bridge", url: `http://${host}:${ports.bridgeControl}/virtual/printer/jobs`, child });
}

// apps/kiosk/server.ts: the API over node:http, the pages through Next (the `next build` output).
const startKiosk = () =>
  startChild("kiosk", process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: join(ROOT, "apps/kiosk"),
    env: {
      ...shared,
      HOST: host,
      PORT: String(ports.kiosk),
      DATABASE_URL: env.DATABASE_URL ?? `file:${join(dataDir, "kiosk.db")}`,
      TICKET_KEYS_DIR: join(dataDir, "keys"),
      PUBLIC_URL: kioskUrl,
      ALIPAY_GATEWAY_URL: env.ALIPAY_GATEWAY_URL ?? `${sandboxUrl}/gateway.do`,
      ALIPAY_NOTIFY_URL: env.ALIPAY_NOTIFY_URL ?? `${kioskUrl}/api/alipay/notify`,
      BRIDGE_URL: `ws://${host}:${ports.bridge}`,
    },
  });
let kiosk = startKiosk();
children.push(kiosk);
services.push({ name: "kiosk", url: `${kioskUrl}/kiosk`, child: kiosk });

const restarting = new Set();
const watch = (c) =>
  c.on("exit", (code, signal) => {
    if (!stopping && !restarting.has(c)) {
      log(`a process exited unexpectedly (${code ?? signal}); stopping the rest`);
      void stopAll(1);
    }
  });
children.forEach(watch);

// SIGUSR2 kills the kiosk server the hard way (SIGKILL, as a crash would) and starts a
// new one on the same database: the e2e suite uses it to prove that payments in flight
// survive a server crash. Operators can use it as a restart.
process.on("SIGUSR2", () => {
  if (stopping) return;
  const old = kiosk;
  restarting.add(old);
  log("restarting the kiosk server (SIGKILL, then start)…");
  old.once("exit", () => {
    children.splice(children.indexOf(old), 1);
    kiosk = startKiosk();
    children.push(kiosk);
    watch(kiosk);
    waitForHttp(`${kioskUrl}/kiosk`, { timeoutMs: 120_000, child: kiosk }).then(
      () => log("kiosk server restarted"),
      (e) => log(`kiosk restart failed: ${e.message}`),
    );
  });
  old.kill("SIGKILL");
});

try {
  await Promise.all(services.map((s) => waitForHttp(s.url, { timeoutMs: 120_000, child: s.child })));
} catch (e) {
  log(`start failed: ${e.message}`);
  await stopAll(1);
}

// The pid lets tests and operators signal this supervisor (SIGUSR2 restarts the kiosk server).
writeFileSync(join(dataDir, "start.pid"), `${process.pid}\n`);
const creds = readJson(join(dataDir, "demo-credentials.json"), {});
const seconds = ((Date.now() - started) / 1000).toFixed(1);
log(`ready in ${seconds} s
  Kiosk (visitor screen)   ${kioskUrl}/kiosk
  Staff console            ${kioskUrl}/staff      sign in: ${creds.adminEmail} / ${creds.adminPassword}
  API (tRPC)               ${kioskUrl}/api/trpc   OpenAPI: ${kioskUrl}/api/openapi.json
  Alipay sandbox           ${sandboxUrl}/sandbox  (confirm PIN payments here; scenario codes in packages/alipay-sandbox/README.md)
  Bridge (WebSocket)       ws://${host}:${ports.bridge}   virtual printer jobs: http://${host}:${ports.bridgeControl}/virtual/printer/jobs
  Demo kiosk pairing code  ${creds.kioskPairingCode}
Press Ctrl-C to stop.`);
