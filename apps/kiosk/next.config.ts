import { join } from "node:path";
import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER, PHASE_PRODUCTION_BUILD } from "next/constants.js";
import { buildKioskClient } from "./scripts/build-kiosk-client.mjs";

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

/**
 * Every build first bundles the kiosk page's script (scripts/build-kiosk-client.mjs: React and the
 * kiosk app without Next's client runtime) and hands its URL to the /kiosk page (src/env.ts).
 */
export default function nextConfig(phase: string): NextConfig {
  if (phase !== PHASE_PRODUCTION_BUILD && phase !== PHASE_DEVELOPMENT_SERVER) return config;
  const { entryUrl } = buildKioskClient({ isProduction: phase === PHASE_PRODUCTION_BUILD });
  return { ...config, env: { KIOSK_CLIENT_ENTRY: entryUrl } };
}
