import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";

// The CLI needs a value even for `generate`, or it falls back to downloading engines.
process.env.DATABASE_URL ??= "file:../../data/kiosk.db";
const url = process.env.DATABASE_URL.startsWith("file:") ? process.env.DATABASE_URL : "file:../../data/kiosk.db";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/sqlite/schema.prisma",
  migrations: { path: "prisma/sqlite/migrations" },
  adapter: async () => new PrismaBetterSQLite3({ url }),
});
