import { join } from "node:path";
import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER, PHASE_PRODUCTION_BUILD } from "next/constants.js";
import { buildKioskClient } from "./scripts/build-kiosk-client.mjs";

const config: NextConfig = {
  reactStrictMode: true,
  // The workspace packages are traced from the monorepo root.
  outputFileTracingRoot: join(import.meta.dirname, "../.."),
  // No `output: "standalone"`: server.ts (npm start, the Docker image) serves this build with the
  // API outside Next; `next start` still works, with the API through the src/app/** route files.
  transpilePackages: ["@kiosk/api", "@kiosk/alipay-core", "@kiosk/db", "@kiosk/bridge-protocol"],
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "pg"],
  poweredByHeader: false,
  // Pages only under server.ts; compression belongs to the reverse proxy (docker/nginx.conf), which
  // can cache it, not to each server's event loop.
  compress: false,
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
