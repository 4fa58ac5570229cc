// Helpers shared by the root scripts (start, test, bench). Plain Node: these run
// before anything is installed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PNPM = ["-y", "pnpm@10.34.9"];

export const BASE_ENV = {
  NEXT_TELEMETRY_DISABLED: "1",
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};

export function log(message) {
  process.stdout.write(`\u001b[36m[kiosk]\u001b[0m ${message}\n`);
}

export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, {
    cwd: options.cwd ?? ROOT,
    stdio: "inherit",
    env: { ...process.env, ...BASE_ENV, ...options.env },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const e = new Error(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
    e.exitCode = r.status ?? 1;
    throw e;
  }
}

export function pnpm(args, options) {
  run("npx", [...PNPM, ...args], options);
}

/** Path of an installed executable, from the root or a workspace package (e.g. "apps/kiosk"). */
export function bin(name, pkg = ".") {
  return join(ROOT, pkg, "node_modules/.bin", name);
}

/** Installs dependencies when node_modules is missing or older than the lockfile. */
export function ensureInstalled() {
  const marker = join(ROOT, "node_modules/.modules.yaml");
  const lock = join(ROOT, "pnpm-lock.yaml");
  const generated = join(ROOT, "packages/db/src/generated/sqlite/client.ts");
  if (existsSync(marker) && existsSync(generated) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return false;
  log("installing dependencies (pnpm 10.34.9; the first run compiles better-sqlite3, about a minute)…");
  pnpm(["install", "--frozen-lockfile"], { env: { CI: "true" } });
  return true;
}

/** Newest modification time under the given folders (skips node_modules, .next, generated). */
export function newestMtime(paths) {
  let newest = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const e of readdirSync(p)) {
        if (e === "node_modules" || e === ".next" || e === "generated" || e.startsWith(".")) continue;
        walk(join(p, e));
      }
    } else if (s.mtimeMs > newest) newest = s.mtimeMs;
  };
  for (const p of paths) walk(p);
  return newest;
}

export function kioskBuildIsCurrent() {
  const id = join(ROOT, "apps/kiosk/.next/BUILD_ID");
  if (!existsSync(id)) return false;
  const built = statSync(id).mtimeMs;
  return newestMtime([join(ROOT, "apps/kiosk"), join(ROOT, "packages"), join(ROOT, "pnpm-lock.yaml")]) <= built;
}

export function buildKiosk() {
  if (kioskBuildIsCurrent()) return false;
  log("building the kiosk app (next build)…");
  run(bin("next", "apps/kiosk"), ["build"], { cwd: join(ROOT, "apps/kiosk") });
  return true;
}

/** Starts a long-running child; returns it. Output is prefixed with the name. */
export function startChild(name, cmd, args, options = {}) {
  const child = spawn(cmd, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...BASE_ENV, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  const prefix = `\u001b[35m[${name}]\u001b[0m `;
  const pipe = (stream, out) => {
    let buf = "";
    stream.on("data", (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        out.write(prefix + buf.slice(0, i) + "\n");
        buf = buf.slice(i + 1);
      }
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  return child;
}

export async function waitForHttp(url, { timeoutMs = 60_000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process for ${url} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.status < 500) return r.status;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export function readJson(path, fallback) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return fallback;
  }
}
