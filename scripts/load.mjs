#!/usr/bin/env node
// `npm run proof:load`: a load run on PostgreSQL shaped like a fleet. A throwaway database
// on the server TEST_DATABASE_URL (or LOAD_DATABASE_URL) names, migrated and seeded by
// packages/api/scripts/setup-db.ts; the Alipay sandbox; TWO production kiosk servers
// (apps/kiosk/server.ts, WORKER=off) and ONE separate payment worker
// (packages/api/scripts/worker.ts). tooling/proof/src/load.ts then drives kiosk and
// booking-system traffic across both servers, with contention for the last places of a
// small slot, checks the database afterwards (no oversell, every paid order has its
// tickets) and writes its figures to bench-report/load.json. Everything is stopped and
// the database dropped at the end.
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

const serverUrl = process.env.LOAD_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!serverUrl) {
  log(
    "proof:load needs PostgreSQL: set TEST_DATABASE_URL (or LOAD_DATABASE_URL) to a server it may create a database on,",
  );
  log(
    "  e.g. scripts/pg-cluster.sh start, then TEST_DATABASE_URL=postgresql://kiosk:kiosk@127.0.0.1:55432/postgres npm run proof:load",
  );
  process.exit(2);
}

const host = "127.0.0.1";
const pg = createRequire(join(ROOT, "packages/db/package.json"))("pg");

/** A port the OS says is free right now (the children bind it a moment later). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const children = [];
let dbName;
let dataDir;
let exitCode = 1;

async function stopAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  const deadline = Date.now() + 8000;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  if (dbName)
    await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((e) =>
      log(`could not drop ${dbName}: ${e.message}`),
    );
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
process.on("SIGTERM", () => void stopAll().then(() => process.exit(143)));

try {
  ensureInstalled();
  buildKiosk();

  dbName = `kiosk_load_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE "${dbName}"`);
  const u = new URL(serverUrl);
  u.pathname = `/${dbName}`;
  const databaseUrl = u.toString();
  dataDir = mkdtempSync(join(tmpdir(), "kiosk-load-"));
  log(`load run on PostgreSQL database ${dbName} (${u.host}); data in ${dataDir}`);
  run(bin("tsx"), ["packages/api/scripts/setup-db.ts"], { env: { DATABASE_URL: databaseUrl, DATA_DIR: dataDir } });

  const [sandboxPort, portA, portB] = [await freePort(), await freePort(), await freePort()];
  const sandboxUrl = `http://${host}:${sandboxPort}`;
  const servers = [`http://${host}:${portA}`, `http://${host}:${portB}`];
  // The load run reads each server's /metrics afterwards (its own time per procedure).
  const metricsToken = randomBytes(24).toString("hex");
  // The load clients play the trusted proxy (each simulated kiosk names its address in X-Forwarded-For).
  const shared = {
    ...BASE_ENV,
    NODE_ENV: "production",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    TRUSTED_PROXIES: "127.0.0.1/32, ::1/128",
  };

  const sandbox = startChild("sandbox", bin("tsx"), ["packages/alipay-sandbox/src/main.ts"], {
    env: {
      ...shared,
      SANDBOX_HOST: host,
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_NOTIFY_BASE_URL: servers[0],
      SANDBOX_LOG_LEVEL: "warn",
    },
  });
  children.push(sandbox);
  // LOAD_CPU_PROF_DIR: each server and the worker write a V8 CPU profile there when stopped.
  const profDir = process.env.LOAD_CPU_PROF_DIR;
  const tsxArgs = (script) => [
    ...(profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []),
    "--import",
    "tsx",
    script,
  ];
  const serverEnv = (publicUrl) => ({
    ...shared,
    DATABASE_URL: databaseUrl,
    TICKET_KEYS_DIR: join(dataDir, "keys"),
    PUBLIC_URL: publicUrl,
    ALIPAY_GATEWAY_URL: `${sandboxUrl}/gateway.do`,
    // Each server's trades are notified to it: spread over the fleet as a balancer in front of
    // it would (all to server a made a's event loop the run's bottleneck).
    ALIPAY_NOTIFY_URL: `${publicUrl}/api/alipay/notify`,
    METRICS_TOKEN: metricsToken,
  });
  // The production server (apps/kiosk/server.ts: the API over node:http, the pages through Next).
  const kiosks = servers.map((url, i) => {
    const port = new URL(url).port;
    const child = startChild(`server-${"ab"[i]}`, process.execPath, tsxArgs("server.ts"), {
      cwd: join(ROOT, "apps/kiosk"),
      env: { ...serverEnv(url), WORKER: "off", HOST: host, PORT: port },
    });
    children.push(child);
    return child;
  });
  const worker = startChild("worker", process.execPath, tsxArgs("packages/api/scripts/worker.ts"), {
    env: serverEnv(servers[0]),
  });
  children.push(worker);

  await waitForHttp(`${sandboxUrl}/healthz`, { child: sandbox });
  for (const [i, url] of servers.entries())
    await waitForHttp(`${url}/readyz`, { child: kiosks[i], timeoutMs: 120_000 });
  if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode}`);
  log(`up: sandbox ${sandboxUrl}, servers ${servers.join(" and ")}, worker pid ${worker.pid}`);

  const outDir = join(ROOT, "bench-report");
  mkdirSync(outDir, { recursive: true });
  const credentials = readJson(join(dataDir, "demo-credentials.json"), {});
  run(bin("tsx"), ["tooling/proof/src/load.ts"], {
    env: {
      DATABASE_URL: databaseUrl,
      LOAD_SERVERS: servers.join(","),
      LOAD_ADMIN_EMAIL: credentials.adminEmail,
      LOAD_ADMIN_PASSWORD: credentials.adminPassword,
      LOAD_OUT: join(outDir, "load.json"),
      LOAD_METRICS_TOKEN: metricsToken,
    },
  });
  if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode} during the run`);
  exitCode = 0;
} catch (e) {
  log(`proof:load failed: ${e.message}`);
  exitCode = e.exitCode ?? 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
