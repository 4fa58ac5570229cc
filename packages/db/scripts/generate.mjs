#!/usr/bin/env node
// Writes the two provider schemas from prisma/models.prisma, then generates both clients.
// `--check` only verifies that the committed schemas match models.prisma (used by tests/CI).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const models = readFileSync(join(root, "prisma/models.prisma"), "utf8");

const header = (
  provider,
  output,
) => `// GENERATED from prisma/models.prisma by scripts/generate.mjs. Do not edit by hand.
generator client {
  provider            = "prisma-client"
  output              = "${output}"
  engineType          = "client"
  moduleFormat        = "esm"
  importFileExtension = "ts"
}

datasource db {
  provider = "${provider}"
  url      = env("DATABASE_URL")
}

`;

export function renderSchemas() {
  return {
    "prisma/sqlite/schema.prisma": header("sqlite", "../../src/generated/sqlite") + models,
    "prisma/pg/schema.prisma": header("postgresql", "../../src/generated/pg") + models,
  };
}

const isCheck = process.argv.includes("--check");
let drift = false;
for (const [file, text] of Object.entries(renderSchemas())) {
  const path = join(root, file);
  let current = "";
  try {
    current = readFileSync(path, "utf8");
  } catch {}
  if (current === text) continue;
  if (isCheck) {
    console.error(`${file} is out of date with prisma/models.prisma; run the db generate script.`);
    drift = true;
  } else {
    writeFileSync(path, text);
  }
}
if (isCheck) process.exit(drift ? 1 : 0);

const prisma = join(root, "node_modules/.bin/prisma");
const env = { ...process.env, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" };
for (const config of ["prisma.sqlite.config.ts", "prisma.pg.config.ts"]) {
  execFileSync(prisma, ["generate", "--config", config], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
}
console.log("@kiosk/db: generated SQLite and PostgreSQL clients");
