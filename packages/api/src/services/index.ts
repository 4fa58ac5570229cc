/** The money path, built from plain dependencies by `createMoneyServices` for the composition root. */
import { createPartnerServices } from "../partner/index.ts";
import { createBookingService } from "./booking-service.ts";
import { createCatalogCache } from "./catalog-cache.ts";
import { createCatalogService } from "./catalog-service.ts";
import { createCounterService } from "./counter-service.ts";
import type { MoneyDeps } from "./money-deps.ts";
import { newId } from "./money-deps.ts";
import { createNotifyService } from "./notify-service.ts";
import { createOrderHandoff } from "./order-handoff.ts";
import { createOrderService } from "./order-service.ts";
import { createPaymentService } from "./payment-service.ts";
import { createPaymentWorker, type WorkerOptions } from "./payment-worker.ts";
import type { JobRuns } from "./job-runs.ts";
import { createReconciliationService } from "./reconciliation-service.ts";
import { createScheduledJobs } from "./scheduled-jobs.ts";
import { createRefundService } from "./refund-service.ts";
import { createTicketService } from "./ticket-service.ts";

export function createMoneyServices(
  deps: MoneyDeps & {
    worker?: WorkerOptions;
    /** Scheduled jobs once per period across the fleet (the platform's JobRuns); every tick when absent. */
    jobRuns?: JobRuns;
  },
) {
  const base = Object.assign({}, deps, { instanceId: deps.instanceId ?? newId("inst") });
  const catalog = createCatalogService(base);
  // The catalog rows a sale reads (cached when `catalogCacheMs` is set) and each new order,
  // handed to the payment start that follows it, so a purchase reads neither back.
  const catalogCache = createCatalogCache(deps.db, deps.catalogCacheMs ?? 0);
  const handoff = createOrderHandoff();
  const orders = createOrderService(Object.assign({}, base, { catalog: catalogCache, handoff }));
  const tickets = createTicketService(base);
  const payments = createPaymentService(Object.assign({}, base, { tickets, handoff }));
  const bookings = createBookingService(Object.assign({}, base, { tickets }));
  const refunds = createRefundService(Object.assign({}, base, { payments }));
  const reconciliation = createReconciliationService(base);
  const notify = createNotifyService(Object.assign({}, base, { payments }));
  const counter = createCounterService(Object.assign({}, base, { orders }));
  const partner = createPartnerServices(Object.assign({}, base, { payments, refunds }));
  const scheduled = createScheduledJobs({
    clock: deps.clock,
    orders,
    reconciliation,
    ...(deps.jobRuns ? { jobRuns: deps.jobRuns } : {}),
    ...(deps.worker ? { options: deps.worker } : {}),
  });
  const worker = createPaymentWorker(
    Object.assign(
      {},
      base,
      { payments, orders, reconciliation, scheduled, afterTick: partner.webhooks.tick },
      deps.worker ? { options: deps.worker } : {},
    ),
  );
  // `gateway`: the Alipay client the services use (the key ring's, in the app), for staff
  // actions that ask Alipay directly (console query-now / cancel).
  return {
    catalog,
    orders,
    counter,
    bookings,
    payments,
    worker,
    tickets,
    refunds,
    reconciliation,
    notify,
    partner,
    gateway: deps.alipay,
    catalogCache,
  };
}

export type MoneyServices = ReturnType<typeof createMoneyServices>;

export type { Actor, MoneyDeps, MoneyLogger, MoneyMetrics, MoneyEventSink } from "./money-deps.ts";
export { SYSTEM_ACTOR } from "./money-deps.ts";
export type { AlipayGateway } from "./gateway.ts";
export { DEFAULT_PAYMENT_POLICY, type PaymentPolicy } from "./payment-policy.ts";
export { fileTicketKeys, memoryTicketKeys, type TicketKeyStore } from "./ticket-keys.ts";
export { verifyTicketCode, signTicketCode, type TicketPayload, type TicketVerification } from "./ticket-code.ts";
export type { OrderView, OrderLineView } from "./order-view.ts";
export type { CreateOrderInput } from "./order-service.ts";
export type { PaymentView } from "./payment-service.ts";
export type { CounterView, ShiftView } from "./shift-view.ts";
export type { ShiftTotals, ShiftDifference } from "./shift-totals.ts";
export type { TicketView } from "./ticket-view.ts";
export type { RedeemResult } from "./ticket-service.ts";
export type { RefundView } from "./refund-service.ts";
export type { ConfirmedBooking } from "./booking-service.ts";
export type { NotifyOutcome } from "./notify-service.ts";
export type { TickReport, WorkerOptions } from "./payment-worker.ts";
