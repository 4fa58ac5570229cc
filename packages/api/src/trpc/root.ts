/**
 * The app router. Platform routers (auth, fleet, staff, events) are owned by the
 * platform engineer; the money-path routers go in the marked block (catalog,
 * order, payment, ticket, refund, reconciliation, booking — one import and one
 * line each).
 */
import { createCallerFactory, router } from "./init.ts";
import { alipayKeysRouter } from "./routers/alipay-keys.ts";
import { authRouter } from "./routers/auth.ts";
import { conformanceRouter } from "./routers/conformance.ts";
import { consoleRouter } from "./routers/console.ts";
import { eventsRouter } from "./routers/events.ts";
import { fleetRouter } from "./routers/fleet.ts";
import { staffRouter } from "./routers/staff.ts";
// ---- money-path routers: imports ----
import { bookingRouter } from "./routers/booking.ts";
import { catalogRouter } from "./routers/catalog.ts";
import { counterRouter } from "./routers/counter.ts";
import { orderRouter } from "./routers/order.ts";
import { paymentRouter } from "./routers/payment.ts";
import { reconciliationRouter } from "./routers/reconciliation.ts";
import { refundRouter } from "./routers/refund.ts";
import { terminalRouter } from "./routers/terminal.ts";
import { ticketRouter } from "./routers/ticket.ts";
// ---- end money-path routers: imports ----

export const appRouter = router({
  auth: authRouter,
  fleet: fleetRouter,
  staff: staffRouter,
  events: eventsRouter,
  console: consoleRouter,
  alipayKeys: alipayKeysRouter,
  conformance: conformanceRouter,
  // ---- money-path routers ----
  catalog: catalogRouter,
  order: orderRouter,
  payment: paymentRouter,
  ticket: ticketRouter,
  refund: refundRouter,
  reconciliation: reconciliationRouter,
  booking: bookingRouter,
  counter: counterRouter,
  terminal: terminalRouter,
  // ---- end money-path routers ----
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller(createContextInner({ services, … }))`. */
export const createCaller = createCallerFactory(appRouter);
