import { join } from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  // Trace files from the monorepo root, so the standalone output holds the workspace packages.
  outputFileTracingRoot: join(import.meta.dirname, "../.."),
  // The Docker image builds with NEXT_OUTPUT=standalone; `npm start` uses `next start`.
  ...(process.env.NEXT_OUTPUT === "standalone" ? { output: "standalone" as const } : {}),
  // A separate output folder lets the Docker build check run beside a normal build.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  transpilePackages: ["@kiosk/api", "@kiosk/alipay-core", "@kiosk/db", "@kiosk/bridge-protocol"],
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "pg"],
  poweredByHeader: false,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default config;
