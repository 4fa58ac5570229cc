import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  output: "standalone",
  transpilePackages: ["@kiosk/alipay-core", "@kiosk/db", "@kiosk/bridge-protocol"],
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "pg"],
  poweredByHeader: false,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default config;
