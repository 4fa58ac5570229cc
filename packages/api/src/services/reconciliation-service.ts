/**
 * Daily reconciliation: downloads the gateway's transaction file for one Beijing day and
 * compares it with the ledger (payments paid that day, refunds completed that day). Every
 * difference is filed for staff: missing_here, missing_there, amount_mismatch, status_mismatch.
 */
import { currencyExponent } from "@kiosk/alipay-core";
import { addDays, zonedTimeToUtc, type DifferenceKind } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import type { GatewaySettlementRecord } from "./gateway.ts";
import { newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";

export const SETTLEMENT_ZONE = "Asia/Shanghai";
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const PAID_STATES = ["PAID", "REFUNDING", "PARTIALLY_REFUNDED", "REFUNDED", "NEEDS_ATTENTION"];

export interface Difference {
  kind: DifferenceKind;
  partnerTransId: string | null;
  alipayTransId: string | null;
  ledgerAmountMinor: number | null;
  gatewayAmountMinor: number | null;
  details: Record<string, unknown>;
}

interface LedgerPayment {
  partnerTransId: string;
  alipayTransId: string | null;
  amountMinor: number;
  state: string;
  paidAt: Date | null;
}

/**
 * OpenAPI trade bills carry no currency column, so alipay-core reads their amounts in the
 * bill currency it was given (CNY). A record whose ledger payment is priced in a currency
 * with another exponent (JPY: 0, SGD: 2) is brought to the ledger's minor units when that
 * is exact; otherwise it is left as read, and the comparison reports the mismatch.
 */
export function inLedgerCurrency(
  records: readonly GatewaySettlementRecord[],
  ledgerCurrencyOf: (record: GatewaySettlementRecord) => string | undefined,
): GatewaySettlementRecord[] {
  return records.map((r) => {
    const ledger = ledgerCurrencyOf(r);
    if (!ledger || ledger === r.currency) return r;
    let shift: number;
    try {
      shift = currencyExponent(ledger) - currencyExponent(r.currency);
    } catch {
      return r;
    }
    const scale = 10 ** Math.abs(shift);
    const rescale = (minor: number): number | null =>
      shift >= 0 ? minor * scale : minor % scale === 0 ? minor / scale : null;
    const amountMinor = rescale(r.amountMinor);
    const fee = r.serviceChargeMinor === undefined ? undefined : rescale(r.serviceChargeMinor);
    if (amountMinor === null || fee === null) return r;
    return Object.assign(
      {},
      r,
      { amountMinor, currency: ledger },
      fee === undefined ? {} : { serviceChargeMinor: fee },
    );
  });
}

/** Pure comparison, so it is tested without a database or a gateway. */
export function compareSettlement(input: {
  records: readonly GatewaySettlementRecord[];
  paymentsPaidThatDay: readonly LedgerPayment[];
  /** Ledger payments named by the file but not paid that day (looked up by id). */
  paymentsById: ReadonlyMap<string, LedgerPayment>;
  refundsThatDay: readonly { partnerRefundId: string; amountMinor: number; paymentPartnerTransId: string }[];
  refundsById: ReadonlyMap<string, { partnerRefundId: string; amountMinor: number; state: string }>;
}): { matched: number; matchedTotalMinor: number; differences: Difference[] } {
  const differences: Difference[] = [];
  let matched = 0;
  let matchedTotalMinor = 0;
  const seenPayments = new Set<string>();
  const seenRefunds = new Set<string>();
  const cancelled = new Set(
    input.records.filter((r) => r.transactionType.toUpperCase() === "CANCEL").map((r) => r.partnerTransId),
  );
  for (const r of input.records) {
    const type = r.transactionType.toUpperCase();
    const amount = Math.abs(r.amountMinor);
    if (type === "REFUND" || type === "R") {
      seenRefunds.add(r.partnerTransId);
      const refund = input.refundsById.get(r.partnerTransId);
      if (!refund) {
        differences.push({
          kind: "missing_here",
          partnerTransId: r.partnerTransId,
          alipayTransId: null,
          ledgerAmountMinor: null,
          gatewayAmountMinor: amount,
          details: { type: "refund", remarks: r.remarks },
        });
      } else if (refund.state !== "succeeded") {
        differences.push({
          kind: "status_mismatch",
          partnerTransId: r.partnerTransId,
          alipayTransId: null,
          ledgerAmountMinor: refund.amountMinor,
          gatewayAmountMinor: amount,
          details: { type: "refund", ledgerState: refund.state, gatewayStatus: r.status },
        });
      } else if (refund.amountMinor !== amount) {
        differences.push({
          kind: "amount_mismatch",
          partnerTransId: r.partnerTransId,
          alipayTransId: null,
          ledgerAmountMinor: refund.amountMinor,
          gatewayAmountMinor: amount,
          details: { type: "refund" },
        });
      } else {
        matched += 1;
        matchedTotalMinor -= amount;
      }
      continue;
    }
    if (type === "CANCEL") {
      const p = input.paymentsById.get(r.partnerTransId);
      if (!p || p.state !== "CANCELLED") {
        differences.push({
          kind: p ? "status_mismatch" : "missing_here",
          partnerTransId: r.partnerTransId,
          alipayTransId: p?.alipayTransId ?? null,
          ledgerAmountMinor: p?.amountMinor ?? null,
          gatewayAmountMinor: amount,
          details: { type: "cancel", ledgerState: p?.state ?? null },
        });
      } else {
        matched += 1;
      }
      continue;
    }
    seenPayments.add(r.partnerTransId);
    const p = input.paymentsById.get(r.partnerTransId);
    if (!p) {
      differences.push({
        kind: "missing_here",
        partnerTransId: r.partnerTransId,
        alipayTransId: null,
        ledgerAmountMinor: null,
        gatewayAmountMinor: amount,
        details: { type: "payment", gatewayStatus: r.status },
      });
    } else if (!PAID_STATES.includes(p.state) && !(p.state === "CANCELLED" && cancelled.has(p.partnerTransId))) {
      differences.push({
        kind: "status_mismatch",
        partnerTransId: p.partnerTransId,
        alipayTransId: p.alipayTransId,
        ledgerAmountMinor: p.amountMinor,
        gatewayAmountMinor: amount,
        details: { type: "payment", ledgerState: p.state, gatewayStatus: r.status },
      });
    } else if (p.amountMinor !== amount) {
      differences.push({
        kind: "amount_mismatch",
        partnerTransId: p.partnerTransId,
        alipayTransId: p.alipayTransId,
        ledgerAmountMinor: p.amountMinor,
        gatewayAmountMinor: amount,
        details: { type: "payment" },
      });
    } else {
      matched += 1;
      if (p.state !== "CANCELLED") matchedTotalMinor += amount;
    }
  }
  for (const p of input.paymentsPaidThatDay) {
    if (!seenPayments.has(p.partnerTransId)) {
      differences.push({
        kind: "missing_there",
        partnerTransId: p.partnerTransId,
        alipayTransId: p.alipayTransId,
        ledgerAmountMinor: p.amountMinor,
        gatewayAmountMinor: null,
        details: { type: "payment", ledgerState: p.state },
      });
    }
  }
  for (const r of input.refundsThatDay) {
    if (!seenRefunds.has(r.partnerRefundId)) {
      differences.push({
        kind: "missing_there",
        partnerTransId: r.partnerRefundId,
        alipayTransId: null,
        ledgerAmountMinor: r.amountMinor,
        gatewayAmountMinor: null,
        details: { type: "refund", payment: r.paymentPartnerTransId },
      });
    }
  }
  return { matched, matchedTotalMinor, differences };
}

export function createReconciliationService(deps: Pick<MoneyDeps, "db" | "clock" | "alipay" | "log" | "metrics">) {
  const { db, clock, alipay } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;

  async function run(input: { day: string; trigger: "schedule" | "manual"; actor: Actor; runId?: string }) {
    if (!DAY.test(input.day)) throw new KioskError("BAD_REQUEST", `Day "${input.day}" is not YYYY-MM-DD`);
    const from = zonedTimeToUtc(input.day, "00:00", SETTLEMENT_ZONE);
    const to = zonedTimeToUtc(addDays(input.day, 1), "00:00", SETTLEMENT_ZONE);
    if (to.getTime() > clock.now().getTime()) throw new KioskError("BAD_REQUEST", `Day ${input.day} has not ended yet`);
    const runId = input.runId ?? newId("rec");
    await db.reconciliationRun.create({
      data: {
        id: runId,
        day: input.day,
        provider: alipay.protocol,
        trigger: input.trigger,
        triggeredBy: input.actor.id ?? null,
        state: "running",
        startedAt: clock.now(),
      },
    });
    try {
      // OpenAPI answers a bill archive link; alipay-core downloads and reads it into the same
      // records as the MAPI transaction file, so the comparison below is protocol-blind.
      const file = await alipay.downloadSettlement({
        startDate: input.day,
        kind: "transactions",
        readBillArchive: true,
      });
      if (file.format === "download_url")
        throw new Error("The gateway client answered a bill link instead of reading the archive");
      const read = file.format === "records" ? file.records : [];
      const isRefundRecord = (r: GatewaySettlementRecord) => ["REFUND", "R"].includes(r.transactionType.toUpperCase());
      const paymentIds = read.filter((r) => !isRefundRecord(r)).map((r) => r.partnerTransId);
      const refundIds = read.filter(isRefundRecord).map((r) => r.partnerTransId);
      const select = {
        partnerTransId: true,
        alipayTransId: true,
        amountMinor: true,
        state: true,
        paidAt: true,
        currency: true,
      } as const;
      const [paidThatDay, named, refundsThatDay, namedRefunds] = await Promise.all([
        db.payment.findMany({ where: { paidAt: { gte: from, lt: to }, provider: alipay.protocol }, select }),
        db.payment.findMany({ where: { partnerTransId: { in: paymentIds } }, select }),
        db.refund.findMany({
          where: { state: "succeeded", completedAt: { gte: from, lt: to }, payment: { provider: alipay.protocol } },
          include: { payment: { select: { partnerTransId: true } } },
        }),
        db.refund.findMany({
          where: { partnerRefundId: { in: refundIds } },
          include: { payment: { select: { currency: true } } },
        }),
      ]);
      const paymentsById = new Map(named.map((p) => [p.partnerTransId, p]));
      const refundsById = new Map(namedRefunds.map((r) => [r.partnerRefundId, r]));
      const records = inLedgerCurrency(read, (r) =>
        isRefundRecord(r)
          ? refundsById.get(r.partnerTransId)?.payment.currency
          : paymentsById.get(r.partnerTransId)?.currency,
      );
      const result = compareSettlement({
        records,
        paymentsPaidThatDay: paidThatDay,
        paymentsById,
        refundsThatDay: refundsThatDay.map((r) => ({
          partnerRefundId: r.partnerRefundId,
          amountMinor: r.amountMinor,
          paymentPartnerTransId: r.payment.partnerTransId,
        })),
        refundsById,
      });
      await db.$transaction([
        db.reconciliationDifference.createMany({
          data: result.differences.map((d) => ({
            id: newId("rdf"),
            runId,
            kind: d.kind,
            partnerTransId: d.partnerTransId,
            alipayTransId: d.alipayTransId,
            ledgerAmountMinor: d.ledgerAmountMinor,
            gatewayAmountMinor: d.gatewayAmountMinor,
            details: JSON.stringify(d.details),
          })),
        }),
        db.reconciliationRun.update({
          where: { id: runId },
          data: {
            state: "completed",
            matchedCount: result.matched,
            matchedTotalMinor: result.matchedTotalMinor,
            differenceCount: result.differences.length,
            finishedAt: clock.now(),
          },
        }),
      ]);
      metrics.inc("kiosk_reconciliation_runs_total", { outcome: "completed" });
      if (result.differences.length > 0)
        metrics.inc("kiosk_reconciliation_differences_total", {}, result.differences.length);
      log.info("reconciliation completed", {
        runId,
        day: input.day,
        matched: result.matched,
        differences: result.differences.length,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
      await db.reconciliationRun.update({
        where: { id: runId },
        data: { state: "failed", error: message, finishedAt: clock.now() },
      });
      metrics.inc("kiosk_reconciliation_runs_total", { outcome: "failed" });
      log.error("reconciliation failed", { runId, day: input.day, error: message });
    }
    return get(runId);
  }

  async function get(runId: string) {
    const r = await db.reconciliationRun.findUnique({ where: { id: runId }, include: { differences: true } });
    if (!r) throw new KioskError("NOT_FOUND", `Reconciliation run ${runId} not found`);
    return Object.assign({}, r, {
      differences: r.differences.map((d) =>
        Object.assign({}, d, { details: JSON.parse(d.details) as Record<string, unknown> }),
      ),
    });
  }

  /**
   * The worker's daily run: one per day and provider across all instances (its id is fixed per
   * attempt, so two instances racing insert one row). A day whose run failed gets a new attempt
   * (`…_schedule_2`, …) when asked again; a completed or running one is not run again.
   */
  async function runScheduled(day: string) {
    const base = `rec_${day}_${alipay.protocol}_schedule`;
    const earlier = await db.reconciliationRun.findMany({
      where: { day, provider: alipay.protocol, trigger: "schedule", id: { startsWith: base } },
      select: { state: true },
    });
    if (earlier.some((r) => r.state !== "failed")) return null;
    const runId = earlier.length === 0 ? base : `${base}_${earlier.length + 1}`;
    try {
      return await run({ day, trigger: "schedule", actor: { type: "system" }, runId });
    } catch (error) {
      if ((error as { code?: unknown }).code === "P2002") return null;
      throw error;
    }
  }

  async function list(input: { day?: string; limit?: number } = {}) {
    return db.reconciliationRun.findMany({
      where: input.day ? { day: input.day } : {},
      orderBy: { startedAt: "desc" },
      take: input.limit ?? 30,
    });
  }

  async function resolveDifference(input: { differenceId: string; resolution: string; actor: Actor }) {
    if (input.actor.type !== "staff")
      throw new KioskError("FORBIDDEN", "Only staff resolve reconciliation differences");
    if (input.resolution.trim().length < 3) throw new KioskError("BAD_REQUEST", "A resolution note is required");
    const { count } = await db.reconciliationDifference.updateMany({
      where: { id: input.differenceId, resolvedAt: null },
      data: { resolution: input.resolution.trim().slice(0, 1000), resolvedBy: input.actor.id, resolvedAt: clock.now() },
    });
    if (count !== 1)
      throw new KioskError("CONFLICT", `Difference ${input.differenceId} is unknown or already resolved`);
    return db.reconciliationDifference.findUniqueOrThrow({ where: { id: input.differenceId } });
  }

  return { run, runScheduled, get, list, resolveDifference };
}

export type ReconciliationService = ReturnType<typeof createReconciliationService>;
