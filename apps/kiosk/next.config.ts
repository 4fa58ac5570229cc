import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  // The Docker image builds with NEXT_OUTPUT=standalone; `npm start` uses `next start`.
  ...(process.env.NEXT_OUTPUT === "standalone" ? { output: "standalone" as const } : {}),
  transpilePackages: ["@kiosk/alipay-core", "@kiosk/db", "@kiosk/bridge-protocol"],
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "pg"],
  poweredByHeader: false,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default config;
