/**
 * The app router. Platform routers (auth, fleet, staff, events) are owned by the
 * platform engineer; the money-path routers go in the marked block (catalog,
 * order, payment, ticket, refund, reconciliation, booking — one import and one
 * line each).
 */
import { createCallerFactory, router } from "./init.ts";
import { authRouter } from "./routers/auth.ts";
import { eventsRouter } from "./routers/events.ts";
import { fleetRouter } from "./routers/fleet.ts";
import { staffRouter } from "./routers/staff.ts";
// ---- money-path routers: imports ----
// ---- end money-path routers: imports ----

export const appRouter = router({
  auth: authRouter,
  fleet: fleetRouter,
  staff: staffRouter,
  events: eventsRouter,
  // ---- money-path routers ----
  // ---- end money-path routers ----
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller(createContextInner({ services, … }))`. */
export const createCaller = createCallerFactory(appRouter);
