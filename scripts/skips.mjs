// Skipped tests are reported, and a skip nobody documented fails `npm test` (scripts/test.mjs).
// A test may skip only where this list names it, with the condition under which it may.

/** Files whose PostgreSQL variants skip themselves when TEST_DATABASE_URL is unset (each says so with skipIf). */
const PG_VARIANT_FILES = [
  "packages/api/src/notify-outage.integration.test.ts",
  "packages/api/src/services/booking.integration.test.ts",
  "packages/api/src/services/concurrency.integration.test.ts",
  "packages/api/src/services/crash.integration.test.ts",
  "packages/api/src/services/money-path.integration.test.ts",
  "packages/api/src/services/notify-proof.integration.test.ts",
  "packages/api/src/services/openapi.integration.test.ts",
  "packages/api/src/services/pay-resend.integration.test.ts",
  "packages/api/src/services/refund-confirm.integration.test.ts",
  "packages/api/src/services/sale-event.integration.test.ts",
  "packages/db/test/migrate.test.ts",
  "packages/db/test/schema-drift.test.ts",
  "packages/db/test/seed.test.ts",
];

/** @type {{ runner: "vitest" | "playwright", file: string | RegExp, name: RegExp, allowed: (env: Record<string, string | undefined>) => boolean, why: string }[]} */
export const ALLOWED_SKIPS = [
  ...PG_VARIANT_FILES.map((file) => ({
    runner: "vitest",
    file,
    name: /postgres/i,
    allowed: (env) => !env.TEST_DATABASE_URL,
    why: "a PostgreSQL variant without TEST_DATABASE_URL",
  })),
  {
    runner: "vitest",
    file: "tooling/docker/docker.test.ts",
    name: /builds? the .* image/i,
    allowed: () => true,
    why: "no working docker binary on this machine (the test says so)",
  },
  {
    // Browser specs skip themselves when the sandbox, the bridge or the pairing is missing —
    // outside CI only (e2e/tests/kiosk-support.ts skipWhenDependencyMissing fails them under CI).
    runner: "playwright",
    file: /^(tests\/)?[\w-]+\.e2e\.ts$/,
    name: /./,
    allowed: (env) => !env.CI,
    why: "a browser spec whose dependency is missing, outside CI",
  },
];

const matches = (pattern, value) => (typeof pattern === "string" ? pattern === value : pattern.test(value));

/** Skipped tests of a vitest JSON report: `{ file (relative to root), name }`. */
export function vitestSkips(report, root) {
  const out = [];
  for (const file of report?.testResults ?? []) {
    const rel = file.name.startsWith(root) ? file.name.slice(root.length).replace(/^\/+/, "") : file.name;
    for (const t of file.assertionResults ?? [])
      if (["pending", "skipped", "todo"].includes(t.status))
        out.push({ runner: "vitest", file: rel, name: t.fullName ?? t.title });
  }
  return out;
}

/** Skipped tests of a Playwright JSON report: `{ file, name, reason }`. */
export function playwrightSkips(report) {
  const out = [];
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        if (t.status === "skipped") {
          const reason = (t.annotations ?? []).find((a) => a.type === "skip")?.description ?? "";
          out.push({ runner: "playwright", file: spec.file, name: [...titles, spec.title].join(" > "), reason });
        }
    for (const child of suite.suites ?? []) walk(child, suite.title && !suite.file ? [...titles, suite.title] : titles);
  };
  for (const suite of report?.suites ?? []) walk(suite, []);
  return out;
}

/** Splits skips into the documented ones (with why) and the unexpected ones. */
export function classifySkips(skips, env) {
  const allowed = [];
  const unexpected = [];
  for (const s of skips) {
    const rule = ALLOWED_SKIPS.find(
      (r) => r.runner === s.runner && matches(r.file, s.file) && r.name.test(s.name) && r.allowed(env),
    );
    if (rule) allowed.push({ ...s, why: rule.why });
    else unexpected.push(s);
  }
  return { allowed, unexpected };
}
