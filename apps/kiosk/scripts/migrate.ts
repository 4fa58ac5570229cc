// Applies the committed migrations to DATABASE_URL, once per deployment
// (docker/compose.yaml runs it before the servers start). No demo data.
import { createDb, migrate, tuneSqlite } from "@kiosk/db";

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write("DATABASE_URL is required (file:… or postgresql://…)\n");
  process.exit(2);
}
const handle = createDb({ url });
try {
  await tuneSqlite(handle);
  const ran = await migrate(handle);
  process.stdout.write(JSON.stringify({ database: handle.target, migrationsApplied: ran }) + "\n");
} finally {
  await handle.close();
}
