import { createTestDatabase } from "@kiosk/db/testing";
import { seed } from "@kiosk/db";
const provider = (process.env.P ?? "sqlite") as "sqlite" | "postgresql";
const h = await createTestDatabase(provider, process.env.TEST_DATABASE_URL);
const db = h.db;
const now = new Date();
await seed(db, { now, days: 1, adminPassword: "x-password-123", kioskPairingCode: "B", ticketKeys: {} } as never).catch((e) => console.log("seed", String(e).slice(0, 200)));
const slot = await db.slot.findFirstOrThrow({});
const N = 400;
async function measure(name: string, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await fn(-1 - i);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  const c = process.cpuUsage(c0);
  console.log(`${name.padEnd(40)} cpu ${((c.user + c.system) / 1000 / N).toFixed(3)} ms  wall ${((performance.now() - t0) / N).toFixed(3)} ms`);
}
let k = 0;
await measure("raw UPDATE slot", () => db.$executeRaw`UPDATE "Slot" SET "held" = "held" + ${0} WHERE "id" = ${slot.id}`);
await measure("raw SELECT 1", () => db.$queryRaw`SELECT 1`);
await measure("slot.findUnique", () => db.slot.findUnique({ where: { id: slot.id } }));
await measure("slot.updateMany", () => db.slot.updateMany({ where: { id: slot.id }, data: { held: { increment: 0 } } }));
await measure("empty interactive tx", () => db.$transaction(async () => {}));
await measure("tx + raw update", () => db.$transaction(async (tx) => { await tx.$executeRaw`UPDATE "Slot" SET "held" = "held" + ${0} WHERE "id" = ${slot.id}`; }));
await measure("order.create nested lines+holds", (i) => db.order.create({ data: { id: `o${k++}`, attractionId: slot.attractionId, channel: "kiosk", state: "pending", currency: "SGD", totalMinor: 1, expiresAt: now, createdAt: now,
  holds: { create: [{ id: `h${k}`, slotId: slot.id, quantity: 1, state: "active", expiresAt: now, createdAt: now }] } } }));
await measure("raw insert order", () => db.$executeRaw`INSERT INTO "Order" ("id","attractionId","channel","state","currency","totalMinor","expiresAt","createdAt","updatedAt") VALUES (${`r${k++}`}, ${slot.attractionId}, 'kiosk', 'pending', 'SGD', 1, ${now}, ${now}, ${now})`);
process.exit(0);
