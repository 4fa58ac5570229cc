import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// Discrete fields, not { connectionString }: the shadow database for `migrate dev`
// spreads this config with another database name, and a connection string would win.
const raw = process.env.DATABASE_URL?.startsWith("postgres")
  ? process.env.DATABASE_URL
  : "postgresql://kiosk:kiosk@127.0.0.1:55432/kiosk";
process.env.DATABASE_URL = raw;
const u = new URL(raw);
const pgConfig = {
  host: u.hostname,
  port: Number(u.port || 5432),
  user: decodeURIComponent(u.username),
  password: decodeURIComponent(u.password),
  database: u.pathname.slice(1),
  idleTimeoutMillis: 200,
};

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/pg/schema.prisma",
  migrations: { path: "prisma/pg/migrations" },
  adapter: async () => new PrismaPg(pgConfig),
});
