/**
 * The migration runner (src/migrate.ts): several runners at once apply each migration once,
 * and an applied migration whose file changed is refused before anything else is applied.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createDb, type DbHandle, type DbProvider } from "../src/client.ts";
import { listMigrations, migrate, migrationsDir } from "../src/migrate.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

/** A database with no tables, and a way to open more handles on it and to drop it. */
async function emptyDatabase(provider: DbProvider): Promise<{ open(): DbHandle; drop(): Promise<void> }> {
  const name = `kiosk_migrate_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  if (provider === "sqlite") {
    const path = join(tmpdir(), `${name}.db`);
    return {
      open: () => createDb({ url: `file:${path}` }),
      drop: async () => {
        for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
      },
    };
  }
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return {
    open: () => createDb({ url: u.toString(), poolMax: 2 }),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

async function appliedNames(handle: DbHandle): Promise<string[]> {
  const rows = await handle.db.$queryRawUnsafe<{ migration_name: string }[]>(
    `SELECT "migration_name" FROM "_prisma_migrations" ORDER BY "migration_name"`,
  );
  return rows.map((r) => r.migration_name);
}

const PROVIDERS: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

describe.each(PROVIDERS)("migration runner on $provider", ({ provider, skip }) => {
  it.skipIf(skip)("applies every migration once when several runners start at once", async () => {
    const database = await emptyDatabase(provider);
    const handles = [database.open(), database.open(), database.open()];
    try {
      const results = await Promise.allSettled(handles.map((h) => migrate(h)));
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      const ran = results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
      const all = listMigrations(provider).map((m) => m.name);
      expect(ran.sort()).toEqual(all);
      expect(await appliedNames(handles[0]!)).toEqual(all);
      // A later start finds nothing to do.
      expect(await migrate(handles[1]!)).toEqual([]);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await database.drop();
    }
  });

  it.skipIf(skip)("refuses to go on when an applied migration's file changed, and applies nothing", async () => {
    const database = await emptyDatabase(provider);
    const handle = database.open();
    const dir = mkdtempSync(join(tmpdir(), "kiosk-migrations-"));
    try {
      cpSync(migrationsDir(provider), dir, { recursive: true });
      const all = listMigrations(provider, dir).map((m) => m.name);
      expect(await migrate(handle, { dir })).toEqual(all);
      // Someone edits an applied migration, and adds a new one.
      appendFileSync(join(dir, all[0]!, "migration.sql"), `\nCREATE TABLE "edited_after_apply" ("id" INTEGER);\n`);
      mkdirSync(join(dir, "99999999999999_next"));
      writeFileSync(join(dir, "99999999999999_next", "migration.sql"), `CREATE TABLE "next_one" ("id" INTEGER);\n`);
      await expect(migrate(handle, { dir })).rejects.toThrow(
        new RegExp(`MigrationChecksumError|changed since applied: ${all[0]}`),
      );
      await expect(migrate(handle, { dir })).rejects.toMatchObject({
        name: "MigrationChecksumError",
        migrations: [all[0]],
      });
      expect(await appliedNames(handle)).toEqual(all);
      await expect(handle.db.$queryRawUnsafe(`SELECT * FROM "next_one"`)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await handle.close();
      await database.drop();
    }
  });
});
