/**
 * Driving a payment: the gateway calls (with their metrics) run through alipay-core's
 * `executeCommand`, and the loop that does whatever is due for a payment this process has
 * leased, applying each answer through the service's `apply`.
 */
import {
  executeCommand,
  nextCommand,
  timedCommandOf,
  type CommandClient,
  type SignedPayRequest,
  type TimedCommand,
} from "@kiosk/alipay-core";
import type { PaymentStateName } from "@kiosk/db";
import { describeGatewayError } from "./gateway.ts";
import type { MoneyDeps, MoneyMetrics } from "./money-deps.ts";
import type { HeldPayRequest } from "./pay-request-seal.ts";
import type { PaymentPolicy } from "./payment-policy.ts";
import { machineOf, type PaymentRow } from "./payment-rows.ts";
import { ACTIVE_STATES, type PaymentStore } from "./payment-store.ts";
import {
  type ApplyOptions,
  type ApplyResult,
  type EventActor,
  type GatewayAnswer,
  type PaymentInput,
} from "./payment-records.ts";

/** What the drive loop needs from the payment service. */
export interface PaymentDriveContext {
  store: PaymentStore;
  clock: MoneyDeps["clock"];
  alipay: MoneyDeps["alipay"];
  metrics: MoneyMetrics;
  policy: PaymentPolicy;
  /** The pay request to resend, from memory or the sealed column. */
  heldPayOf: (row: Pick<PaymentRow, "id" | "payRequest">) => HeldPayRequest | undefined;
  apply: (paymentId: string, input: PaymentInput, options: ApplyOptions) => Promise<ApplyResult>;
}

export function createPaymentDrive(ctx: PaymentDriveContext) {
  const { store, clock, alipay, metrics, policy, heldPayOf, apply } = ctx;

  async function timed<T>(op: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await call();
      metrics.inc("kiosk_gateway_calls_total", { op, outcome: (result as { status?: string }).status ?? "ok" });
      return result;
    } catch (error) {
      metrics.inc("kiosk_gateway_calls_total", { op, outcome: "error" });
      throw error;
    } finally {
      metrics.observe?.("kiosk_gateway_latency_ms", performance.now() - started, { op });
    }
  }

  /** The gateway calls with their metrics: what alipay-core's `executeCommand` calls. */
  const timedGateway: CommandClient = {
    sendPay: (signed) => timed("pay", () => alipay.sendPay(signed)),
    query: (input) => timed("query", () => alipay.query(input)),
    cancel: (input) => timed("cancel", () => alipay.cancel(input)),
    refund: (input) => timed("refund", () => alipay.refund(input)),
    refundQuery: (input) => timed("refund_query", () => alipay.refundQuery(input)),
  };

  /** The request an event row records for a command (ids and attempt; never a code). */
  function requestOf(command: TimedCommand): Record<string, unknown> {
    const { partnerTransId } = command;
    switch (command.type) {
      case "pay":
        return { op: "pay", partnerTransId, attempt: command.attempt };
      case "query":
        return { op: "query", partnerTransId };
      case "cancel":
        return { op: "cancel", partnerTransId, attempt: command.attempt };
      case "refund":
        return {
          op: "refund",
          partnerTransId,
          partnerRefundId: command.partnerRefundId,
          amountMinor: command.amountMinor,
          attempt: command.attempt,
        };
      case "refund_query":
        return { op: "refund_query", partnerTransId, partnerRefundId: command.partnerRefundId };
    }
  }

  /** Runs one gateway command through alipay-core's `executeCommand`; the answer is the machine's event. */
  async function execute(
    row: PaymentRow,
    command: TimedCommand,
    firstPay?: SignedPayRequest,
  ): Promise<{ event: GatewayAnswer; request: Record<string, unknown> }> {
    if (command.type === "refund") await store.refunds.countAttempt(command.partnerRefundId);
    // Without the first request (expired, or no key to open it) the pay is not sent: the machine goes back to querying.
    const event = (await executeCommand(timedGateway, command, machineOf(row), {
      signedPay: () => firstPay ?? heldPayOf(row)?.signed,
      describeError: describeGatewayError,
    })) as GatewayAnswer;
    return { event, request: requestOf(command) };
  }

  /**
   * Does whatever is due for a payment this process has leased (`owner`), then lets the lease
   * go. Used by the worker and right after a visitor's cancel or a staff refund. The command
   * comes from the last transition when it is due now, else from the persisted state.
   */
  async function drive(paymentId: string, owner: string): Promise<PaymentRow> {
    let row = await store.byId(paymentId);
    if (row.leaseOwner === owner && row.leaseUntil) leases.set(`${paymentId} ${owner}`, row.leaseUntil.getTime());
    let pending: TimedCommand | undefined;
    const actor: EventActor = { type: "system", id: owner };
    try {
      for (let step = 0; step < 6; step++) {
        if (row.leaseOwner !== owner) return row;
        if (!ACTIVE_STATES.includes(row.state as PaymentStateName)) break;
        const now = clock.now().getTime();
        let command = pending && pending.at <= now ? pending : undefined;
        pending = undefined;
        if (!command) {
          if (row.nextActionAt && row.nextActionAt.getTime() > now) break;
          const due = nextCommand(machineOf(row));
          if (due === null) break;
          if (due.type === "resume") {
            const resumed = await apply(paymentId, { type: "resume" }, { actor });
            row = resumed.row;
            const next = timedCommandOf(resumed.commands);
            if (resumed.ignored !== undefined || !next || next.at > clock.now().getTime()) break;
            command = next;
          } else {
            command = due;
          }
        }
        // Each call may take up to its timeout: renew the lease before it, so no other instance takes over meanwhile.
        if (!(await keepLease(paymentId, owner))) return row;
        const outcome = await execute(row, command);
        const applied = await apply(paymentId, outcome.event, { actor, request: outcome.request });
        row = applied.row;
        if (applied.ignored !== undefined) break;
        pending = timedCommandOf(applied.commands);
      }
    } finally {
      leases.delete(`${paymentId} ${owner}`);
      await store.releaseLease(paymentId, owner);
    }
    return store.byId(paymentId);
  }

  /** When each lease of this process runs out, as last written (renewal skips a write while plenty is left). */
  const leases = new Map<string, number>();

  /**
   * Renews `owner`'s lease when less than two thirds of it is left (a gateway call can take
   * half of it); false when the lease is no longer this owner's (then it must stop driving).
   */
  async function keepLease(paymentId: string, owner: string): Promise<boolean> {
    const now = clock.now().getTime();
    const until = leases.get(`${paymentId} ${owner}`);
    if (until !== undefined && until - now >= (policy.leaseMs * 2) / 3) return true;
    const isOurs = await store.renewLease(paymentId, owner, new Date(now + policy.leaseMs));
    if (isOurs) leases.set(`${paymentId} ${owner}`, now + policy.leaseMs);
    return isOurs;
  }

  /** Leases one payment if it is due and free (or already ours); true when this owner now holds it. */
  async function claim(paymentId: string, owner: string, options: { isDueRequired: boolean }): Promise<boolean> {
    const now = clock.now();
    const until = new Date(now.getTime() + policy.leaseMs);
    const isOurs = await store.claim(paymentId, owner, { now, until, isDueRequired: options.isDueRequired });
    if (isOurs) leases.set(`${paymentId} ${owner}`, until.getTime());
    return isOurs;
  }

  return { execute, drive, claim, store };
}

export type PaymentDrive = ReturnType<typeof createPaymentDrive>;
