/**
 * The virtual-device control server is a loopback HTTP endpoint that can inject scans: a web
 * page (any origin, or a DNS-rebound host name pointing at 127.0.0.1) must not reach it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildBridge, type Bridge } from "../app.ts";
import { parseEnv } from "../env.ts";
import { createLogger } from "../util/logger.ts";
import { ManualPoller, ManualTimers } from "../util/timers.ts";

const ORIGIN = "http://127.0.0.1:3000";
let bridge: Bridge;
let dir: string;
let lines: string[];
let timers: ManualTimers;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bridge-control-"));
  lines = [];
  timers = new ManualTimers();
  const env = parseEnv({
    NODE_ENV: "development",
    BRIDGE_PORT: "0",
    BRIDGE_VIRTUAL_PRINTER_PORT: "0",
    BRIDGE_VIRTUAL_CONTROL_PORT: "0",
    BRIDGE_ALLOWED_ORIGINS: ORIGIN,
    BRIDGE_PAIRING_TOKEN: "control-test-token-0123456789",
    BRIDGE_DATA_DIR: dir,
  });
  const logger = createLogger({ level: "info", write: (line) => lines.push(line), now: () => new Date(timers.now()) });
  bridge = await buildBridge(env, {
    logger,
    clock: timers,
    timers,
    poller: new ManualPoller(),
    shouldRenderPng: false,
  });
  await bridge.start();
});

afterEach(async () => {
  await bridge.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A raw HTTP request, so the test controls the Host and Origin headers as a browser would send them. */
function post(path: string, body: unknown, headers: Record<string, string>): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: bridge.controlPort,
        path,
        method: "POST",
        setHost: false,
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(payload)),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

describe("virtual device control server", () => {
  it("answers a local tool (loopback Host, no Origin)", async () => {
    expect(await post("/virtual/scanner/plug", { connected: true }, { host: `127.0.0.1:${bridge.controlPort}` })).toBe(
      200,
    );
    expect(await post("/virtual/scanner/plug", { connected: true }, { host: `localhost:${bridge.controlPort}` })).toBe(
      200,
    );
  });

  it("refuses a request from a web page of another origin", async () => {
    const status = await post(
      "/virtual/scan",
      { data: "286000000000000000" },
      { host: `127.0.0.1:${bridge.controlPort}`, origin: "https://evil.example" },
    );
    expect(status).toBe(403);
    expect(bridge.hub.status().scanner.droppedScans).toBe(0);
  });

  it("refuses a DNS-rebinding request (a foreign Host name that resolves to 127.0.0.1)", async () => {
    const status = await post(
      "/virtual/scan",
      { data: "286000000000000000" },
      { host: `rebind.evil.example:${bridge.controlPort}` },
    );
    expect(status).toBe(403);
    expect(bridge.hub.status().scanner.droppedScans).toBe(0);
  });

  it("refuses a simple (form-encoded) POST that a page could send without a CORS preflight", async () => {
    const payload = "data=286000000000000000";
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: bridge.controlPort,
          path: "/virtual/scan",
          method: "POST",
          headers: { "content-type": "text/plain" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
    expect(status).toBe(415);
  });
});

describe("scans while disarmed", () => {
  it("are counted, but logged at most once per interval with the count", async () => {
    const host = `127.0.0.1:${bridge.controlPort}`;
    for (let i = 0; i < 50; i += 1)
      expect(await post("/virtual/scan", { data: `2860000000000000${String(i).padStart(2, "0")}` }, { host })).toBe(
        200,
      );
    expect(bridge.hub.status().scanner.droppedScans).toBe(50);
    const dropped = () => lines.filter((line) => line.includes("scan dropped"));
    expect(dropped()).toHaveLength(1);
    timers.advance(60_000);
    expect(await post("/virtual/scan", { data: "286000000000000099" }, { host })).toBe(200);
    expect(dropped()).toHaveLength(2);
    expect(JSON.parse(dropped()[1]!)).toMatchObject({ dropped: 51, droppedSinceLastLog: 50 });
  });
});
