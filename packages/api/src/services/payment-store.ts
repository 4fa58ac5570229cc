/**
 * The payment store: every Prisma call on Payment and PaymentEvent (refunds: payment-store-refunds.ts).
 * A payment's state lives in one place, the machine state JSON (`machineState`); the indexed
 * columns are derived from it by `stateColumns`, in the same write. The facts of a paid trade
 * (paid at, Alipay's id, the buyer) are written by `paidColumns` and nowhere else (both, with the
 * row types: payment-rows.ts).
 */
import { directSqlOf, isRetryableConflict, isUniqueViolation, Prisma, type Db, type PaymentStateName } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { TX_OPTIONS, type Tx } from "./order-service.ts";
import { NEW_PAYMENT_DEFAULTS, type EventRecord, type NewPayment, type PaymentRow } from "./payment-rows.ts";
import { createRefundStore } from "./payment-store-refunds.ts";
import { BatchMiss, insertSql, runBatch, setSql, type BatchStatement, type SqlValue } from "./raw-sql.ts";

/** States in which the worker still has something to do. */
export const ACTIVE_STATES: readonly PaymentStateName[] = ["SENDING", "POLLING", "CANCELLING", "REFUNDING"];
export const TERMINAL_STATES: readonly PaymentStateName[] = ["FAILED", "CANCELLED", "REFUNDED"];

/** Order states a PAID payment turns into `paid` (a late payment of an expired or failed order included). */
export const PAYABLE_ORDER_STATES = ["pending", "expired", "failed", "cancelled"] as const;

export class VersionConflict extends Error {
  override readonly name = "VersionConflict";
}

type TicketRow = Readonly<Record<string, SqlValue>>;

const ACCESS = { select: { id: true, kioskId: true, apiClientId: true, attractionId: true } } as const;
type OrderAccess = { id: string; kioskId: string | null; apiClientId: string | null; attractionId: string };

/** Every column of a payment, for the direct reads (a column added to the schema and not here fails the typecheck). */
const PAYMENT_COLUMNS = [
  "id",
  "orderId",
  "provider",
  "partnerTransId",
  "state",
  "amountMinor",
  "currency",
  "paymentCodeMasked",
  "alipayTransId",
  "buyerIdMasked",
  "failureReason",
  "attentionReason",
  "attempt",
  "queryCount",
  "cancelAttempt",
  "deadlineAt",
  "nextActionAt",
  "leaseOwner",
  "leaseUntil",
  "machineState",
  "version",
  "paidAt",
  "finishedAt",
  "createdAt",
  "updatedAt",
  "payRequest",
  "paymentMethodType",
  "walletName",
  "exchangeRate",
] as const satisfies readonly (keyof PaymentRow)[];
const EVERY_COLUMN_LISTED: Exclude<keyof PaymentRow, (typeof PAYMENT_COLUMNS)[number]> extends never ? true : never =
  true;
void EVERY_COLUMN_LISTED;
const PAYMENT_SELECT = Prisma.raw(PAYMENT_COLUMNS.map((c) => `p."${c}"`).join(", "));
const PAYMENT_DECODE = {
  dates: ["deadlineAt", "nextActionAt", "leaseUntil", "paidAt", "finishedAt", "createdAt", "updatedAt"],
  ints: ["amountMinor", "attempt", "queryCount", "cancelAttempt", "version"],
} as const;

export function createPaymentStore(db: Db) {
  const direct = directSqlOf(db);

  /**
   * One payment by id or partner transaction id, with its order's access fields when asked:
   * the reads of every notification and every status poll, so past the Prisma client where the
   * database has a direct executor (the same row: raw-sql.integration.test.ts compares them).
   */
  async function readDirect(
    by: "id" | "partnerTransId",
    value: string,
    withOrder: boolean,
  ): Promise<(PaymentRow & { order?: OrderAccess }) | null> {
    const rows = await direct!.query<
      PaymentRow & { o_kioskId?: string | null; o_apiClientId?: string | null; o_attractionId?: string }
    >(
      withOrder
        ? Prisma.sql`SELECT ${PAYMENT_SELECT}, o."kioskId" AS "o_kioskId", o."apiClientId" AS "o_apiClientId", o."attractionId" AS "o_attractionId"
            FROM "Payment" p JOIN "Order" o ON o."id" = p."orderId" WHERE p.${Prisma.raw(`"${by}"`)} = ${value}`
        : Prisma.sql`SELECT ${PAYMENT_SELECT} FROM "Payment" p WHERE p.${Prisma.raw(`"${by}"`)} = ${value}`,
      PAYMENT_DECODE,
    );
    const row = rows[0];
    if (!row) return null;
    if (!withOrder) return row;
    const { o_kioskId, o_apiClientId, o_attractionId, ...payment } = row;
    return Object.assign(payment, {
      order: {
        id: payment.orderId,
        kioskId: o_kioskId ?? null,
        apiClientId: o_apiClientId ?? null,
        attractionId: o_attractionId!,
      },
    });
  }

  async function byId(id: string): Promise<PaymentRow> {
    if (!direct) return db.payment.findUniqueOrThrow({ where: { id } });
    const row = await readDirect("id", id, false);
    if (!row) throw new KioskError("NOT_FOUND", `Payment ${id} not found`);
    return row;
  }

  /** The row with the order fields access checks need; null when there is none. */
  async function withOrder(id: string): Promise<(PaymentRow & { order: OrderAccess }) | null> {
    if (!direct) return db.payment.findUnique({ where: { id }, include: { order: ACCESS } });
    return (await readDirect("id", id, true)) as (PaymentRow & { order: OrderAccess }) | null;
  }

  /** The payment of a partner transaction id (a notification names only that); null when there is none. */
  async function byPartnerTransId(partnerTransId: string): Promise<PaymentRow | null> {
    if (!direct) return db.payment.findUnique({ where: { partnerTransId } });
    return readDirect("partnerTransId", partnerTransId, false);
  }

  /**
   * Writes the new payment (SENDING, leased) and its `created` event in one transaction with the
   * order's update; the order must still be pending and unexpired (the same row condition as expiry, so a
   * hold can't expire under a payment that is starting) and gets `orderExpiresAt`. A start
   * racing this one computed the same partnerTransId and loses on the unique index.
   */
  async function create(
    data: NewPayment,
    created: Omit<EventRecord, "fromState">,
    order: { id: string; now: Date; expiresAt: Date },
  ): Promise<PaymentRow> {
    const event = Object.assign({}, created, { seq: 1, fromState: null, summary: JSON.stringify(created.summary) });
    for (let attempt = 1; ; attempt++) {
      try {
        return await createOnce(data, event, order);
      } catch (error) {
        if (isUniqueViolation(error)) throw new KioskError("CONFLICT", `Order ${order.id} already has a payment`);
        // Rolled back whole (nothing was written, nothing sent yet): written again.
        if (isRetryableConflict(error) && attempt < 3) continue;
        throw error;
      }
    }
  }

  async function createOnce(
    data: NewPayment,
    event: Omit<EventRecord, "summary"> & { seq: number; summary: string },
    order: { id: string; now: Date; expiresAt: Date },
  ): Promise<PaymentRow> {
    const row: PaymentRow = Object.assign({}, NEW_PAYMENT_DEFAULTS, data, {
      orderId: order.id,
      version: 1,
      updatedAt: data.createdAt,
    });
    // One batch of raw statements (raw-sql.ts runBatch); the row returned is the one written, not read back.
    try {
      await runBatch(db, [
        {
          sql: Prisma.sql`UPDATE "Order" SET "expiresAt" = ${order.expiresAt}, "updatedAt" = ${order.now}
            WHERE "id" = ${order.id} AND "state" = 'pending' AND "expiresAt" > ${order.now}`,
          expect: 1,
        },
        { sql: insertSql("Payment", [row]) },
        {
          sql: insertSql("PaymentEvent", [Object.assign({}, event, { paymentId: row.id, createdAt: data.createdAt })]),
        },
      ]);
    } catch (error) {
      if (error instanceof BatchMiss) throw new KioskError("CONFLICT", `Order ${order.id} is no longer payable`);
      throw error;
    }
    return row;
  }

  /**
   * Writes one transition: the row (version-checked), its event (seq = the new version) and the
   * effects `inTx` adds, in one transaction. Null when another write came first (re-read, re-decide).
   */
  async function writeTransition<T>(
    row: PaymentRow,
    data: Partial<PaymentRow> & { version: number },
    event: EventRecord,
    now: Date,
    inTx: (tx: Tx) => Promise<T>,
  ): Promise<{ effects: T } | null> {
    return db
      .$transaction(async (tx) => {
        const { count } = await tx.payment.updateMany({ where: { id: row.id, version: row.version }, data });
        if (count !== 1) throw new VersionConflict();
        await tx.paymentEvent.create({
          data: Object.assign({}, event, {
            paymentId: row.id,
            seq: data.version,
            summary: JSON.stringify(event.summary),
            createdAt: now,
          }),
          select: { id: true },
        });
        return { effects: await inTx(tx) };
      }, TX_OPTIONS)
      .catch((error: unknown) => {
        if (error instanceof VersionConflict || isUniqueViolation(error) || isRetryableConflict(error)) return null;
        throw error;
      });
  }

  /**
   * The PAID transition of a payment whose order had no tickets yet, as one batch of raw
   * statements (raw-sql.ts runBatch): the payment row written (version-checked), the order set
   * paid (it must be in `PAYABLE_ORDER_STATES`), its tickets inserted, the payment's event, then
   * `effects` (sale event, holds; payment-effects.ts `paidStatements`). False when the order,
   * the version or a hold was not as expected (nothing written): the caller re-reads and
   * takes the general path (`writeTransition`).
   */
  async function writePaidTransition(
    row: PaymentRow,
    data: Partial<PaymentRow> & { version: number },
    event: EventRecord,
    now: Date,
    tickets: readonly Prisma.TicketCreateManyInput[],
    effects: readonly BatchStatement[],
  ): Promise<boolean> {
    const eventRow = Object.assign({}, event, {
      seq: data.version,
      summary: JSON.stringify(event.summary),
      createdAt: now,
    });
    try {
      // The payment row first, then the order: the general path's order (writeTransition, then
      // effectsInTx), so a notification racing the pay answer waits instead of deadlocking.
      await runBatch(db, [
        {
          sql: Prisma.sql`UPDATE "Payment" SET ${setSql(Object.assign({}, data, { updatedAt: now }))}
            WHERE "id" = ${row.id} AND "version" = ${row.version}`,
          expect: 1,
        },
        {
          sql: Prisma.sql`UPDATE "Order" SET "state" = 'paid', "updatedAt" = ${now}
            WHERE "id" = ${row.orderId} AND "state" IN (${Prisma.join([...PAYABLE_ORDER_STATES])})`,
          expect: 1,
        },
        ...(tickets.length > 0 ? [{ sql: insertSql("Ticket", tickets as readonly TicketRow[]) }] : []),
        { sql: insertSql("PaymentEvent", [{ paymentId: row.id, ...eventRow }]) },
        ...effects,
      ]);
      return true;
    } catch (error) {
      // Rolled back whole: the caller re-reads and takes the general path.
      if (error instanceof BatchMiss || isUniqueViolation(error) || isRetryableConflict(error)) return false;
      throw error;
    }
  }

  /** Leases one payment if it is active, free (or already ours) and, if asked, due. */
  async function claim(paymentId: string, owner: string, at: { now: Date; until: Date; isDueRequired: boolean }) {
    const { count } = await db.payment.updateMany({
      where: {
        id: paymentId,
        state: { in: [...ACTIVE_STATES] },
        ...(at.isDueRequired ? { nextActionAt: { lte: at.now } } : {}),
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: at.now } }, { leaseOwner: owner }],
      },
      data: { leaseOwner: owner, leaseUntil: at.until },
    });
    return count === 1;
  }

  /** Due, unleased payments, oldest due first; on PostgreSQL leased in the same statement (SKIP LOCKED). */
  async function claimDue(provider: string, owner: string, at: { now: Date; until: Date; limit: number }) {
    const { now, until, limit } = at;
    if (provider === "postgresql") {
      const rows = await db.$queryRaw<{ id: string }[]>`
        UPDATE "Payment" SET "leaseOwner" = ${owner}, "leaseUntil" = ${until}
        WHERE "id" IN (
          SELECT "id" FROM "Payment"
          WHERE "state" IN ('SENDING', 'POLLING', 'CANCELLING', 'REFUNDING')
            AND "nextActionAt" <= ${now}
            AND ("leaseUntil" IS NULL OR "leaseUntil" < ${now})
          ORDER BY "nextActionAt"
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        AND ("leaseUntil" IS NULL OR "leaseUntil" < ${now})
        RETURNING "id"`;
      return rows.map((r) => r.id);
    }
    const candidates = await db.payment.findMany({
      where: {
        state: { in: [...ACTIVE_STATES] },
        nextActionAt: { lte: now },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      orderBy: { nextActionAt: "asc" },
      select: { id: true },
      take: limit,
    });
    const claimed: string[] = [];
    for (const { id } of candidates) if (await claim(id, owner, { now, until, isDueRequired: true })) claimed.push(id);
    return claimed;
  }

  return {
    refunds: createRefundStore(db),
    byId,
    withOrder,
    byPartnerTransId,
    latestForOrder: (orderId: string) => db.payment.findFirst({ where: { orderId }, orderBy: { createdAt: "desc" } }),
    needingAttention: (limit: number) =>
      db.payment.findMany({ where: { state: "NEEDS_ATTENTION" }, orderBy: { updatedAt: "asc" }, take: limit }),
    events: (paymentId: string) => db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } }),
    create,
    writeTransition,
    writePaidTransition,
    claim,
    claimDue,
    /** Renews `owner`'s lease; false when the lease is no longer this owner's. */
    renewLease: async (paymentId: string, owner: string, until: Date) =>
      (await db.payment.updateMany({ where: { id: paymentId, leaseOwner: owner }, data: { leaseUntil: until } }))
        .count === 1,
    releaseLease: (paymentId: string, owner: string) =>
      db.payment.updateMany({
        where: { id: paymentId, leaseOwner: owner },
        data: { leaseOwner: null, leaseUntil: null },
      }),
    /** Frees the leases an earlier run of this instance (owner prefix) left on active payments. */
    releaseLeasesOf: async (ownerPrefix: string) =>
      (
        await db.payment.updateMany({
          where: { state: { in: [...ACTIVE_STATES] }, leaseOwner: { startsWith: ownerPrefix } },
          data: { leaseOwner: null, leaseUntil: null },
        })
      ).count,
    /** Active payments per state. */
    countActive: async () => {
      const rows = await db.payment.groupBy({
        by: ["state"],
        where: { state: { in: [...ACTIVE_STATES] } },
        _count: { _all: true },
      });
      return new Map(rows.map((r) => [r.state, r._count._all]));
    },
    /** SENDING rows nobody holds, not yet due (their sender is gone). */
    orphanedSending: async (now: Date) =>
      (
        await db.payment.findMany({
          where: { state: "SENDING", leaseOwner: null, nextActionAt: { gt: now } },
          select: { id: true },
        })
      ).map((r) => r.id),
  };
}

export type PaymentStore = ReturnType<typeof createPaymentStore>;
