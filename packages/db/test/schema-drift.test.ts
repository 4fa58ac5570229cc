import { execFileSync } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../src/testing.ts";
import { createDb } from "../src/client.ts";
import Database from "better-sqlite3";

const root = join(import.meta.dirname, "..");
const prismaBin = join(root, "node_modules/.bin/prisma");
const PG_URL = process.env.TEST_DATABASE_URL;
const env = { ...process.env, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" };

function prisma(args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync(prismaBin, args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

type Shape = Record<string, string[]>;

async function sqliteShape(url: string): Promise<Shape> {
  const h = createDb({ url });
  try {
    const tables = await h.db.$queryRawUnsafe<{ name: string }[]>(
      `SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`,
    );
    const shape: Shape = {};
    for (const { name } of tables) {
      const cols = await h.db.$queryRawUnsafe<
        { name: string; type: string; notnull: number | bigint; pk: number | bigint }[]
      >(`PRAGMA table_info("${name}")`);
      const idx = await h.db.$queryRawUnsafe<{ name: string; unique: number | bigint }[]>(
        `PRAGMA index_list("${name}")`,
      );
      shape[name] = [
        ...cols.map((c) => `col ${c.name} ${c.type} nn=${Number(c.notnull)} pk=${Number(c.pk)}`),
        ...idx.map((i) => `idx ${i.name} unique=${Number(i.unique)}`).sort(),
      ];
    }
    return shape;
  } finally {
    await h.close();
  }
}

describe("schema drift", () => {
  it("the committed SQLite and PostgreSQL schemas are both rendered from prisma/models.prisma", () => {
    // exits non-zero (and the call throws) when either schema was edited by hand or not regenerated
    execFileSync("node", ["scripts/generate.mjs", "--check"], { cwd: root, stdio: "pipe" });
  });

  it("the SQLite migrations build exactly the database the SQLite schema describes", async () => {
    const migrated = await createTestDatabase("sqlite");
    const fromSchema = await createTestDatabase("sqlite");
    try {
      const sql = prisma(
        [
          "migrate",
          "diff",
          "--config",
          "prisma.sqlite.config.ts",
          "--from-empty",
          "--to-schema-datamodel",
          "prisma/sqlite/schema.prisma",
          "--script",
        ],
        { DATABASE_URL: fromSchema.url },
      );
      // fromSchema was migrated by createTestDatabase; rebuild it from the schema alone
      for (const t of Object.keys(await sqliteShape(fromSchema.url)))
        await fromSchema.db.$executeRawUnsafe(`DROP TABLE "${t}"`);
      const raw = new Database(fromSchema.url.slice("file:".length));
      raw.exec(sql);
      raw.close();
      expect(await sqliteShape(migrated.url)).toEqual(await sqliteShape(fromSchema.url));
    } finally {
      await migrated.drop();
      await fromSchema.drop();
    }
  });

  it.skipIf(!PG_URL)("the PostgreSQL migrations build exactly the database the PostgreSQL schema describes", () => {
    const out = prisma(
      [
        "migrate",
        "diff",
        "--config",
        "prisma.pg.config.ts",
        "--from-migrations",
        "prisma/pg/migrations",
        "--to-schema-datamodel",
        "prisma/pg/schema.prisma",
        "--exit-code",
      ],
      { DATABASE_URL: PG_URL ?? "" },
    );
    expect(out).toContain("No difference detected");
  });

  it.skipIf(!PG_URL)("SQLite and PostgreSQL end up with the same tables and columns", async () => {
    const lite = await createTestDatabase("sqlite");
    const pgDb = await createTestDatabase("postgresql", PG_URL);
    try {
      const liteShape = await sqliteShape(lite.url);
      const c = new pg.Client({ connectionString: pgDb.url });
      await c.connect();
      const { rows } = await c.query<{ table_name: string; column_name: string; is_nullable: string }>(
        `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema='public' AND table_name <> '_prisma_migrations'`,
      );
      await c.end();
      const pgCols = rows.map((r) => `${r.table_name}.${r.column_name} nn=${r.is_nullable === "NO" ? 1 : 0}`).sort();
      const liteCols = Object.entries(liteShape)
        .flatMap(([t, entries]) =>
          entries
            .filter((e) => e.startsWith("col "))
            .map((e) => {
              const [, name, , nn, pk] = e.split(" ");
              return `${t}.${name} nn=${nn === "nn=1" || pk !== "pk=0" ? 1 : 0}`;
            }),
        )
        .sort();
      expect(pgCols).toEqual(liteCols);
    } finally {
      await lite.drop();
      await pgDb.drop();
    }
  });
});
