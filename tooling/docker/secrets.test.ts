// Deployment secrets stay secret (issue 15 item 6), checked statically: no Docker engine runs
// here. git and the Docker build context leave secrets out, images copy only what they run,
// and the fleet compose file takes the database password and keys from Docker secrets.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = resolve(import.meta.dirname, "../..");
const SECRET_PATHS = [
  "docker/secrets/postgres-password",
  "docker/secrets/ticket-keys/attr_skyline.pem",
  "docker/secrets/metrics-token",
  ".env",
  ".env.production",
  ".env.local",
  "apps/kiosk/.env.production.local",
  "data/keys/attr_skyline.pem",
];

/** A .dockerignore pattern as a RegExp (Go filepath.Match plus `**`, as BuildKit reads them). */
function dockerPattern(pattern: string): RegExp {
  const p = pattern.replace(/^\/+/, "").replace(/\/+$/, "");
  let re = "";
  for (let i = 0; i < p.length; i += 1) {
    const c = p[i]!;
    if (c === "*" && p[i + 1] === "*") {
      re += ".*";
      i += 1;
      if (p[i + 1] === "/") i += 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A matched directory excludes everything under it.
  return new RegExp(`^${re}(/.*)?$`);
}

function dockerIgnored(path: string): boolean {
  const lines = readFileSync(join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  let isIgnored = false;
  for (const line of lines) {
    const isNegated = line.startsWith("!");
    if (dockerPattern(isNegated ? line.slice(1) : line).test(path)) isIgnored = !isNegated;
  }
  return isIgnored;
}

describe("secrets never enter git or a Docker build context", () => {
  it.each(SECRET_PATHS)("git ignores %s", (path) => {
    const out = execFileSync("git", ["check-ignore", "--no-index", "-v", path], { cwd: root, encoding: "utf8" }).trim();
    expect(out).not.toBe("");
  });

  it.each(SECRET_PATHS)(".dockerignore excludes %s", (path) => {
    expect(dockerIgnored(path)).toBe(true);
  });

  it("the pattern reader itself tells included from excluded", () => {
    expect(dockerIgnored("packages/api/src/env.ts")).toBe(false);
    expect(dockerIgnored("packages/db/prisma/models.prisma")).toBe(false);
  });
});

describe("images copy only what they need", () => {
  const dockerfile = readFileSync(join(root, "docker/kiosk.Dockerfile"), "utf8");
  it("no stage copies the whole build tree (or the whole context) into a runnable image", () => {
    const copies = dockerfile.split("\n").filter((l) => l.startsWith("COPY"));
    for (const copy of copies) {
      const parts = copy.split(/\s+/).filter((a) => !a.startsWith("--"));
      const sources = parts.slice(1, -1);
      if (copy.includes("--from=build")) for (const s of sources) expect(s.replace(/\/+$/, ""), copy).not.toBe("/repo");
    }
  });
});

interface ComposeService {
  environment?: Record<string, string>;
  ports?: string[];
  secrets?: (string | { source: string; target?: string })[];
  volumes?: string[];
}
const compose = parse(readFileSync(join(root, "docker/compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
};

describe("compose.yaml", () => {
  it("takes the database password and the keys from Docker secrets, never from the environment or a plain mount", () => {
    expect(Object.keys(compose.secrets ?? {})).toEqual(
      expect.arrayContaining(["postgres-password", "ticket-keys", "metrics-token"]),
    );
    for (const [name, s] of Object.entries(compose.services)) {
      const env = s.environment ?? {};
      expect(env.POSTGRES_PASSWORD, `${name}: POSTGRES_PASSWORD`).toBeUndefined();
      if (env.DATABASE_URL) {
        expect(new URL(env.DATABASE_URL).password, `${name}: password in DATABASE_URL`).toBe("");
        expect(env.DATABASE_PASSWORD_FILE, `${name}: DATABASE_PASSWORD_FILE`).toMatch(/^\/run\/secrets\//);
      }
      for (const v of s.volumes ?? []) expect(v, `${name} mounts a secret as a volume`).not.toMatch(/secrets/);
    }
    expect(compose.services.postgres?.environment?.POSTGRES_PASSWORD_FILE).toMatch(/^\/run\/secrets\//);
  });

  it("publishes the sandbox (and the proxy) on loopback only", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) expect(String(p), `${name} publishes ${p}`).toMatch(/^127\.0\.0\.1:/);
    }
  });
});
