// Applies the committed migrations to DATABASE_URL, once per deployment
// (docker/compose.yaml runs it before the servers start). No demo data.
import { readFileSync } from "node:fs";
import { createDb, migrate, tuneSqlite, withDatabasePassword } from "@kiosk/db";

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write("DATABASE_URL is required (file:… or postgresql://…)\n");
  process.exit(2);
}
// DATABASE_PASSWORD_FILE: the password from a Docker secret, as the server reads it (env.ts).
const passwordFile = process.env.DATABASE_PASSWORD_FILE;
const handle = createDb({
  url: passwordFile ? withDatabasePassword(url, readFileSync(passwordFile, "utf8").trim()) : url,
});
try {
  await tuneSqlite(handle);
  const ran = await migrate(handle);
  process.stdout.write(JSON.stringify({ database: handle.target, migrationsApplied: ran }) + "\n");
} finally {
  await handle.close();
}
