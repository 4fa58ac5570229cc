/**
 * Webhooks to terminals (issue 18), from a durable outbox. Each tick:
 * 1. `collect`: every watched terminal payment whose payment has a newer version in a state a
 *    terminal acts on (succeeded, failed, cancelled, refunded, needs attention…) gets one
 *    TerminalWebhook row per (payment, version), written with the new `notifiedVersion` in one
 *    transaction. The outbox is derived from the payment rows, so a crash loses no event.
 *    A settled row stops being watched; any later transition (a console refund, a late charge,
 *    a staff resolution) watches it again in its own transaction (watch.ts).
 * 2. `deliverDue`: pending rows are claimed (a conditional update moves `nextAttemptAt`, so
 *    two workers never send one attempt twice), POSTed signed (`Kiosk-Signature: t=…,v1=…`,
 *    `Kiosk-Event-Id`), and on anything but 2xx retried after 10 s, 30 s, 2 min, 10 min,
 *    30 min, 1 h, 3 h, 6 h; then marked failed (the terminal can still GET the payment).
 */
import { newId, silentLogger, type MoneyDeps } from "../services/money-deps.ts";
import type { TerminalPayments } from "./payments.ts";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from "./signature.ts";

export const WEBHOOK_BACKOFF_MS = [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000];
export const WEBHOOK_TIMEOUT_MS = 5_000;
const CLAIM_MS = 60_000;
const ACTIVE: readonly string[] = ["SENDING", "POLLING", "CANCELLING", "REFUNDING"];

export function createTerminalWebhooks(
  deps: Pick<MoneyDeps, "db" | "clock" | "log"> & { terminalPayments: TerminalPayments; fetch?: typeof fetch },
) {
  const { db, clock, terminalPayments } = deps;
  const log = deps.log ?? silentLogger;
  const send = deps.fetch ?? fetch;

  async function collect(limit = 200): Promise<number> {
    const watched = await db.terminalPayment.findMany({
      where: { isWatched: true },
      include: {
        terminal: { select: { storeId: true, terminalCode: true, name: true, attractionId: true, webhookUrl: true } },
      },
      orderBy: { createdAt: "asc" },
      take: limit,
    });
    let created = 0;
    for (const tp of watched) {
      const payment = await db.payment.findFirst({
        where: { orderId: tp.orderId },
        orderBy: { createdAt: "desc" },
        select: { state: true, version: true },
      });
      const order = payment ? null : await db.order.findUnique({ where: { id: tp.orderId }, select: { state: true } });
      if (!payment && order?.state === "pending") continue;
      // A payment never sent (order closed first) counts as version 1.
      const version = payment?.version ?? 1;
      const state = payment?.state ?? "FAILED";
      if (ACTIVE.includes(state)) continue;
      const isStillWatched = state === "NEEDS_ATTENTION";
      if (version <= tp.notifiedVersion) {
        if (!isStillWatched)
          await db.terminalPayment.updateMany({ where: { id: tp.id, isWatched: true }, data: { isWatched: false } });
        continue;
      }
      const view = await terminalPayments.viewOf(tp);
      const now = clock.now();
      const eventId = newId("evt");
      const body = JSON.stringify({
        id: eventId,
        type: "payment.updated",
        createdAt: now.toISOString(),
        data: { payment: view },
      });
      const made = await db.$transaction(async (tx) => {
        const { count } = await tx.terminalPayment.updateMany({
          where: { id: tp.id, notifiedVersion: tp.notifiedVersion },
          data: { notifiedVersion: version, isWatched: isStillWatched },
        });
        if (count !== 1) return false;
        // A transition that committed since the read above (its watch mark would be overwritten
        // here): keep watching. Read after the row update, so one still running waits for this
        // transaction and marks the row again after it.
        if (!isStillWatched && payment) {
          const current = await tx.payment.findFirst({
            where: { orderId: tp.orderId },
            orderBy: { createdAt: "desc" },
            select: { version: true },
          });
          if ((current?.version ?? version) > version)
            await tx.terminalPayment.update({ where: { id: tp.id }, data: { isWatched: true } });
        }
        if (!tp.terminal.webhookUrl) return false;
        await tx.terminalWebhook.create({
          data: {
            id: eventId,
            terminalPaymentId: tp.id,
            terminalId: tp.terminalId,
            paymentVersion: version,
            type: "payment.updated",
            payload: body,
            state: "pending",
            nextAttemptAt: now,
            createdAt: now,
          },
        });
        return true;
      });
      if (made) created += 1;
    }
    return created;
  }

  async function deliverOne(id: string): Promise<boolean> {
    const now = clock.now();
    const row = await db.terminalWebhook.findUnique({ where: { id } });
    if (!row || row.state !== "pending" || !row.nextAttemptAt || row.nextAttemptAt > now) return false;
    const { count } = await db.terminalWebhook.updateMany({
      where: { id, state: "pending", nextAttemptAt: row.nextAttemptAt },
      data: { nextAttemptAt: new Date(now.getTime() + CLAIM_MS) },
    });
    if (count !== 1) return false;
    const terminal = await db.terminal.findUniqueOrThrow({ where: { id: row.terminalId } });
    let error: string | null = null;
    if (!terminal.webhookUrl) error = "no webhook URL";
    else {
      try {
        const res = await send(terminal.webhookUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [SIGNATURE_HEADER]: signWebhook(terminal.webhookSecret, Math.floor(now.getTime() / 1000), row.payload),
            [EVENT_ID_HEADER]: row.id,
          },
          body: row.payload,
          redirect: "manual",
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
      } catch (e) {
        error = e instanceof Error ? e.name : "error";
      }
    }
    const attempts = row.attempts + 1;
    if (error === null) {
      await db.terminalWebhook.update({
        where: { id },
        data: { state: "delivered", attempts, deliveredAt: clock.now(), nextAttemptAt: null, lastError: null },
      });
      return true;
    }
    const delay = WEBHOOK_BACKOFF_MS[attempts - 1];
    await db.terminalWebhook.update({
      where: { id },
      data:
        delay === undefined
          ? { state: "failed", attempts, nextAttemptAt: null, lastError: error }
          : { attempts, nextAttemptAt: new Date(now.getTime() + delay), lastError: error },
    });
    log.warn("terminal webhook not delivered", { webhookId: id, terminalId: row.terminalId, attempts, error });
    return false;
  }

  async function deliverDue(limit = 50): Promise<number> {
    const due = await db.terminalWebhook.findMany({
      where: { state: "pending", nextAttemptAt: { lte: clock.now() } },
      orderBy: { nextAttemptAt: "asc" },
      select: { id: true },
      take: limit,
    });
    const results = await Promise.all(due.map((d) => deliverOne(d.id)));
    return results.filter(Boolean).length;
  }

  /** One outbox step, for the payment worker's tick. */
  async function tick(): Promise<{ created: number; delivered: number }> {
    const created = await collect();
    const delivered = await deliverDue();
    return { created, delivered };
  }

  return { collect, deliverDue, tick };
}

export type TerminalWebhooks = ReturnType<typeof createTerminalWebhooks>;
