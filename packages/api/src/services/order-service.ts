/**
 * Orders priced on the server from the catalog, with capacity holds taken by one atomic
 * conditional UPDATE per slot (`sold + held + n <= capacity`, checked by affected rows), so
 * no interleaving of instances or transactions can oversell, on SQLite or PostgreSQL.
 */
import { Prisma } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { createCatalogCache, type CatalogCache } from "./catalog-cache.ts";
import { newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import { BatchMiss, insertSql, runBatch, TX_OPTIONS, type BatchStatement } from "./raw-sql.ts";
import type { OrderHandoff } from "./order-handoff.ts";
import { assertOrderAccess, toOrderView, type OrderView } from "./order-view.ts";

export type Tx = Prisma.TransactionClient;

export const MAX_LINES = 10;
export const MAX_QUANTITY_PER_LINE = 50;
export const DEFAULT_HOLD_MS = 5 * 60_000;
export { TX_OPTIONS };

export interface OrderLineInput {
  ticketTypeId: string;
  slotId: string;
  quantity: number;
}

export interface CreateOrderInput {
  actor: Actor;
  /** Required for staff; kiosks and API clients are bound to their attraction. */
  attractionId?: string;
  lines: OrderLineInput[];
  locale?: string;
  externalRef?: string;
  /** The counter shift a staff sale is recorded against (counter-service checks it is the seller's open one). */
  shiftId?: string;
}

const orderInclude = { lines: { include: { ticketType: true, slot: true } } } as const;

/** Releases the order's active holds (each exactly once) and gives the capacity back. */
export async function releaseHoldsInTx(tx: Tx, orderId: string, now: Date): Promise<number> {
  const holds = await tx.capacityHold.findMany({ where: { orderId, state: "active" } });
  let released = 0;
  for (const h of holds) {
    const { count } = await tx.capacityHold.updateMany({
      where: { id: h.id, state: "active" },
      data: { state: "released", releasedAt: now },
    });
    if (count === 1) {
      await tx.slot.update({ where: { id: h.slotId }, data: { held: { decrement: h.quantity } } });
      released += h.quantity;
    }
  }
  return released;
}

/**
 * `convertHoldsInTx` for a batch (raw-sql.ts runBatch): per slot, the order's hold converted
 * (it must still be active, or the batch misses and the caller takes the general path) and
 * the slot's held places sold. The shared Slot rows come last in a batch, so their locks are
 * held only until commit.
 */
export function convertHoldsStatements(
  orderId: string,
  now: Date,
  lines: readonly { slotId: string; quantity: number }[],
): BatchStatement[] {
  const perSlot = new Map<string, number>();
  for (const l of lines) perSlot.set(l.slotId, (perSlot.get(l.slotId) ?? 0) + l.quantity);
  return [...perSlot].flatMap(([slotId, quantity]) => [
    {
      sql: Prisma.sql`UPDATE "CapacityHold" SET "state" = 'converted', "releasedAt" = ${now}
        WHERE "orderId" = ${orderId} AND "slotId" = ${slotId} AND "state" = 'active'`,
      expect: 1,
    },
    {
      sql: Prisma.sql`UPDATE "Slot" SET "held" = "held" - ${quantity}, "sold" = "sold" + ${quantity} WHERE "id" = ${slotId}`,
      expect: 1,
    },
  ]);
}

/**
 * Turns the order's holds into sold places. A hold that is no longer active (released by a
 * staff action, say) still counts as sold: the visitor paid, so the tickets are issued; the
 * returned list names slots that went over capacity so someone can look.
 */
export async function convertHoldsInTx(
  tx: Tx,
  orderId: string,
  now: Date,
  knownLines?: readonly { slotId: string; quantity: number }[],
): Promise<string[]> {
  const lines =
    knownLines ?? (await tx.orderLine.findMany({ where: { orderId }, select: { slotId: true, quantity: true } }));
  const perSlot = new Map<string, number>();
  for (const l of lines) perSlot.set(l.slotId, (perSlot.get(l.slotId) ?? 0) + l.quantity);
  const overCapacity: string[] = [];
  for (const [slotId, quantity] of perSlot) {
    // Raw statements on the hot path (issue 16): no query compilation; the same SQL on SQLite and PostgreSQL.
    const count = await tx.$executeRaw`UPDATE "CapacityHold" SET "state" = 'converted', "releasedAt" = ${now}
      WHERE "orderId" = ${orderId} AND "slotId" = ${slotId} AND "state" = 'active'`;
    if (count === 1) {
      await tx.$executeRaw`UPDATE "Slot" SET "held" = "held" - ${quantity}, "sold" = "sold" + ${quantity} WHERE "id" = ${slotId}`;
    } else {
      const took =
        await tx.$executeRaw`UPDATE "Slot" SET "sold" = "sold" + ${quantity} WHERE "id" = ${slotId} AND "sold" + "held" + ${quantity} <= "capacity"`;
      if (took !== 1) {
        await tx.slot.update({ where: { id: slotId }, data: { sold: { increment: quantity } } });
        overCapacity.push(slotId);
      }
    }
  }
  return overCapacity;
}

export function createOrderService(
  deps: Pick<MoneyDeps, "db" | "clock" | "log" | "metrics" | "holdMs"> & {
    catalog?: CatalogCache;
    handoff?: OrderHandoff;
  },
) {
  const { db, clock } = deps;
  const catalog = deps.catalog ?? createCatalogCache(db);
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;
  const holdMs = deps.holdMs ?? DEFAULT_HOLD_MS;

  async function load(orderId: string, actor: Actor): Promise<OrderView> {
    const o = await db.order.findUnique({ where: { id: orderId }, include: orderInclude });
    if (!o) throw new KioskError("NOT_FOUND", `Order ${orderId} not found`);
    assertOrderAccess(o, actor);
    return toOrderView(o);
  }

  function resolveAttraction(input: CreateOrderInput): string {
    const { actor } = input;
    if (actor.type === "kiosk" || actor.type === "api_client") {
      if (input.attractionId !== undefined && input.attractionId !== actor.attractionId) {
        throw new KioskError(
          "FORBIDDEN",
          `A ${actor.type} of ${actor.attractionId} cannot sell for ${input.attractionId}`,
        );
      }
      return actor.attractionId;
    }
    if (!input.attractionId) throw new KioskError("BAD_REQUEST", "attractionId is required");
    return input.attractionId;
  }

  /**
   * Holds the places and writes the order in one batch. `alsoWrite(answer)`: a statement the
   * caller needs written in the same transaction, given the answer this call will return
   * (the booking API's idempotency record: idempotency-service.ts `runInTransaction`).
   */
  async function create(
    input: CreateOrderInput,
    options: { alsoWrite?: (answer: OrderView) => BatchStatement } = {},
  ): Promise<OrderView> {
    const attractionId = resolveAttraction(input);
    if (input.lines.length < 1 || input.lines.length > MAX_LINES)
      throw new KioskError("BAD_REQUEST", `An order has 1 to ${MAX_LINES} lines`);
    const merged = new Map<string, OrderLineInput>();
    for (const l of input.lines) {
      if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > MAX_QUANTITY_PER_LINE) {
        throw new KioskError(
          "BAD_REQUEST",
          `Quantity ${l.quantity} is not a whole number from 1 to ${MAX_QUANTITY_PER_LINE}`,
        );
      }
      const key = `${l.ticketTypeId}\u0000${l.slotId}`;
      const prev = merged.get(key);
      merged.set(key, Object.assign({}, l, { quantity: (prev?.quantity ?? 0) + l.quantity }));
    }
    const lines = [...merged.values()];
    const now = clock.now();

    const [attraction, types, slots] = await Promise.all([
      catalog.attraction(attractionId),
      catalog.ticketTypes(lines.map((l) => l.ticketTypeId)),
      catalog.slots(lines.map((l) => l.slotId)),
    ]);
    if (!attraction) throw new KioskError("NOT_FOUND", `Attraction ${attractionId} not found`);
    const typeById = new Map(types.map((t) => [t.id, t]));
    const slotById = new Map(slots.map((s) => [s.id, s]));
    const perSlot = new Map<string, number>();
    let totalMinor = 0;
    const lineRows = lines.map((l) => {
      const type = typeById.get(l.ticketTypeId);
      if (!type || type.attractionId !== attractionId || !type.isActive)
        throw new KioskError("BAD_REQUEST", `Ticket type ${l.ticketTypeId} is not on sale here`);
      const slot = slotById.get(l.slotId);
      if (!slot || slot.attractionId !== attractionId)
        throw new KioskError("BAD_REQUEST", `Slot ${l.slotId} is not on sale here`);
      const expectedKind = type.validityKind === "date" ? "day" : "timed";
      if (slot.kind !== expectedKind)
        throw new KioskError(
          "BAD_REQUEST",
          `Ticket type ${type.code} needs a ${expectedKind} slot, ${l.slotId} is ${slot.kind}`,
        );
      if (slot.endsAt.getTime() <= now.getTime()) throw new KioskError("BAD_REQUEST", `Slot ${l.slotId} has ended`);
      perSlot.set(slot.id, (perSlot.get(slot.id) ?? 0) + l.quantity);
      const lineTotalMinor = type.priceMinor * l.quantity;
      totalMinor += lineTotalMinor;
      return {
        id: newId("oln"),
        ticketTypeId: type.id,
        slotId: slot.id,
        quantity: l.quantity,
        unitPriceMinor: type.priceMinor,
        lineTotalMinor,
      };
    });
    if (!Number.isSafeInteger(totalMinor) || totalMinor <= 0)
      throw new KioskError("BAD_REQUEST", "Order total is out of range");

    const orderId = newId("ord");
    const expiresAt = new Date(now.getTime() + holdMs);
    const holdSlots = [...perSlot.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const { actor } = input;
    // The row as written; the handoff and the answer below take their fields from it.
    const order = {
      id: orderId,
      attractionId,
      channel: actor.type === "kiosk" ? "kiosk" : actor.type === "api_client" ? "booking" : "counter",
      kioskId: actor.type === "kiosk" ? (actor.id ?? null) : null,
      apiClientId: actor.type === "api_client" ? (actor.id ?? null) : null,
      staffUserId: actor.type === "staff" ? (actor.id ?? null) : null,
      shiftId: input.shiftId ?? null,
      externalRef: input.externalRef ?? null,
      state: "pending" as const,
      currency: attraction.currency,
      totalMinor,
      refundedMinor: 0,
      locale: input.locale ?? "en",
      expiresAt,
      createdAt: now,
      updatedAt: now,
    };
    // One batch of raw statements (raw-sql.ts runBatch: no query compilation, no Prisma client).
    // The order first, the hot Slot rows last: their row locks are held only until commit.
    const rows: BatchStatement[] = [
      { sql: insertSql("Order", [order]) },
      {
        sql: insertSql(
          "OrderLine",
          lineRows.map((l) => Object.assign({}, l, { orderId })),
        ),
      },
      {
        sql: insertSql(
          "CapacityHold",
          holdSlots.map(([slotId, quantity]) => ({
            id: newId("hld"),
            orderId,
            slotId,
            quantity,
            state: "active",
            expiresAt,
            createdAt: now,
          })),
        ),
      },
    ];
    const takes: BatchStatement[] = holdSlots.map(([slotId, quantity]) => ({
      sql: Prisma.sql`UPDATE "Slot" SET "held" = "held" + ${quantity} WHERE "id" = ${slotId} AND "sold" + "held" + ${quantity} <= "capacity"`,
      expect: 1,
    }));
    // What the handoff and the answer both take from the row as written.
    const written = {
      id: orderId,
      attractionId,
      channel: order.channel,
      kioskId: order.kioskId,
      apiClientId: order.apiClientId,
      externalRef: order.externalRef,
      state: order.state,
      currency: order.currency,
      totalMinor,
      expiresAt,
    };
    const answer: OrderView = Object.assign({}, written, {
      refundedMinor: order.refundedMinor,
      locale: order.locale,
      createdAt: now,
      lines: lineRows.map((l) => {
        const type = typeById.get(l.ticketTypeId)!;
        const slot = slotById.get(l.slotId)!;
        return Object.assign({}, l, {
          ticketTypeCode: type.code,
          ticketTypeName: type.name,
          slotStartsAt: slot.startsAt,
          slotEndsAt: slot.endsAt,
        });
      }),
    });
    try {
      await runBatch(db, [...rows, ...takes, ...(options.alsoWrite ? [options.alsoWrite(answer)] : [])]);
    } catch (error) {
      const soldOut = error instanceof BatchMiss ? holdSlots[error.index - rows.length] : undefined;
      if (!soldOut) throw error;
      metrics.inc("kiosk_orders_total", { outcome: "sold_out" });
      throw new KioskError("CONFLICT", `Not enough places left in slot ${soldOut[0]}`, {
        details: { slotId: soldOut[0], reason: "sold_out" },
      });
    }
    metrics.inc("kiosk_orders_total", { outcome: "created" });
    deps.handoff?.put(
      Object.assign({}, written, {
        attraction,
        lines: lineRows.map((l) =>
          Object.assign({}, l, { ticketType: typeById.get(l.ticketTypeId)!, slot: slotById.get(l.slotId)! }),
        ),
        payments: [],
      }),
    );
    log.info("order created", { orderId, attractionId, totalMinor, currency: attraction.currency });
    return answer;
  }

  /** Cancels a pending order that has no payment under way and gives its places back. */
  async function cancel(orderId: string, actor: Actor): Promise<OrderView> {
    const order = await load(orderId, actor);
    if (order.state !== "pending") throw new KioskError("CONFLICT", `Order ${orderId} is ${order.state}, not pending`);
    const now = clock.now();
    await db.$transaction(async (tx) => {
      const live = await tx.payment.count({
        where: { orderId, state: { in: ["SENDING", "POLLING", "CANCELLING", "PAID", "NEEDS_ATTENTION"] } },
      });
      if (live > 0) throw new KioskError("CONFLICT", `Order ${orderId} has a payment; cancel the payment instead`);
      const { count } = await tx.order.updateMany({
        where: { id: orderId, state: "pending" },
        data: { state: "cancelled" },
      });
      if (count !== 1) throw new KioskError("CONFLICT", `Order ${orderId} is no longer pending`);
      await releaseHoldsInTx(tx, orderId, now);
    }, TX_OPTIONS);
    metrics.inc("kiosk_orders_total", { outcome: "cancelled" });
    return load(orderId, actor);
  }

  /**
   * Expires unpaid orders whose hold ran out. An order with a payment still under way is
   * left alone: `payment.start` pushes `expiresAt` past the payment deadline under the same
   * row condition, so the two never both win.
   */
  async function expireDue(limit = 200): Promise<number> {
    const now = clock.now();
    const due = await db.order.findMany({
      where: {
        state: "pending",
        expiresAt: { lt: now },
        payments: { none: { state: { in: ["SENDING", "POLLING", "CANCELLING", "PAID", "NEEDS_ATTENTION"] } } },
      },
      select: { id: true },
      take: limit,
    });
    let expired = 0;
    for (const { id } of due) {
      const done = await db.$transaction(async (tx) => {
        const { count } = await tx.order.updateMany({
          where: { id, state: "pending", expiresAt: { lt: now } },
          data: { state: "expired" },
        });
        if (count !== 1) return false;
        await releaseHoldsInTx(tx, id, now);
        return true;
      }, TX_OPTIONS);
      if (done) expired += 1;
    }
    if (expired > 0) {
      metrics.inc("kiosk_orders_total", { outcome: "expired" }, expired);
      log.info("expired unpaid orders", { count: expired });
    }
    return expired;
  }

  return { create, get: load, cancel, expireDue };
}

export type OrderService = ReturnType<typeof createOrderService>;
