import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DbHandle, DbProvider } from "./client.ts";

const PRISMA_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "prisma");

export interface Migration {
  name: string;
  sql: string;
}

/** The committed migrations of one provider, in order. */
export function listMigrations(provider: DbProvider): Migration[] {
  const dir = join(PRISMA_DIR, provider === "sqlite" ? "sqlite" : "pg", "migrations");
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name, "migration.sql"), "utf8") }));
}

/** Splits a Prisma migration script into statements (no procedural bodies occur in ours). */
export function splitStatements(sql: string): string[] {
  return sql
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n")
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Applies every committed migration to an empty database, recording each in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does, so the CLI and this
 * function can be used on the same database. Used by tests and by `npm start`.
 */
export async function migrate(handle: DbHandle): Promise<string[]> {
  const { db, provider } = handle;
  const isPg = provider === "postgresql";
  await db.$executeRawUnsafe(
    isPg
      ? `CREATE TABLE IF NOT EXISTS "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`
      : `CREATE TABLE IF NOT EXISTS "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  );
  const done = await db.$queryRawUnsafe<{ migration_name: string }[]>(
    `SELECT "migration_name" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`,
  );
  const applied = new Set(done.map((r) => r.migration_name));
  const ran: string[] = [];
  const { createHash, randomUUID } = await import("node:crypto");
  for (const m of listMigrations(provider)) {
    if (applied.has(m.name)) continue;
    const statements = splitStatements(m.sql);
    await db.$transaction(async (tx) => {
      for (const s of statements) await tx.$executeRawUnsafe(s);
      const checksum = createHash("sha256").update(m.sql).digest("hex");
      await tx.$executeRawUnsafe(
        `INSERT INTO "_prisma_migrations" ("id","checksum","finished_at","migration_name","applied_steps_count") VALUES (${isPg ? "$1,$2,now(),$3" : "?,?,current_timestamp,?"},1)`,
        randomUUID(),
        checksum,
        m.name,
      );
    });
    ran.push(m.name);
  }
  return ran;
}
