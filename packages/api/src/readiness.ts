import { listMigrations, type DbProvider, type Db } from "@kiosk/db";

export interface ReadinessReport {
  isReady: boolean;
  checks: {
    database: { isOk: boolean; latencyMs?: number; error?: string };
    migrations: { isOk: boolean; pending: string[]; error?: string };
  };
}

/** A database that has not answered within this is reported unreachable (/readyz fails at once). */
export const READINESS_TIMEOUT_MS = 3_000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * DB reachable and every committed migration applied. Each check gives up after `timeoutMs`
 * (a blackholed database fails it within seconds); nothing is cached, so it recovers by itself.
 */
export async function checkReadiness(
  db: Db,
  provider: DbProvider,
  opts: { timeoutMs?: number } = {},
): Promise<ReadinessReport> {
  const timeoutMs = opts.timeoutMs ?? READINESS_TIMEOUT_MS;
  const report: ReadinessReport = {
    isReady: false,
    checks: { database: { isOk: false }, migrations: { isOk: false, pending: [] } },
  };
  const t0 = performance.now();
  try {
    await within(db.$queryRawUnsafe("SELECT 1"), timeoutMs);
    report.checks.database = { isOk: true, latencyMs: Math.round(performance.now() - t0) };
  } catch (e) {
    report.checks.database = { isOk: false, error: firstLine(e, "unreachable") };
    return report;
  }
  try {
    const rows = await within(
      db.$queryRawUnsafe<{ migration_name: string }[]>(
        `SELECT "migration_name" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`,
      ),
      timeoutMs,
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    const pending = listMigrations(provider)
      .map((m) => m.name)
      .filter((n) => !applied.has(n));
    report.checks.migrations = { isOk: pending.length === 0, pending };
  } catch (e) {
    report.checks.migrations = {
      isOk: false,
      pending: listMigrations(provider).map((m) => m.name),
      error: firstLine(e, "no migrations table"),
    };
  }
  report.isReady = report.checks.database.isOk && report.checks.migrations.isOk;
  return report;
}

function firstLine(e: unknown, fallback: string): string {
  const text = e instanceof Error ? e.message : "";
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.length > 0 && !l.startsWith("Invalid `")) ?? fallback
  );
}
