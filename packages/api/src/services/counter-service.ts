/**
 * Counter sale. A cashier opens a shift at a counter (a ticket window or a handheld in a
 * queue); every order they create carries the shift, and its payment goes through the same
 * order and payment services as a kiosk's. A cashier pays and cancels only orders of their own
 * open shift. The views and who may see a shift: shift-view.ts; closing it (the till, checked
 * against the gateway): shift-close.ts, with its totals and differences from shift-totals.ts.
 */
import { hasRoleAtLeast } from "../auth/roles.ts";
import { KioskError } from "../errors.ts";
import { newId, silentLogger, type MoneyDeps } from "./money-deps.ts";
import type { OrderLineInput, OrderService } from "./order-service.ts";
import type { OrderView } from "./order-view.ts";
import { createShiftClose } from "./shift-close.ts";
import {
  assertShiftAccess,
  counterView,
  createShiftReads,
  shiftInclude,
  type CounterView,
  type ShiftView,
  type StaffActor,
} from "./shift-view.ts";

export function createCounterService(
  deps: Pick<MoneyDeps, "db" | "clock" | "alipay" | "log"> & { orders: OrderService },
) {
  const { db, clock, orders } = deps;
  const log = deps.log ?? silentLogger;
  const reads = createShiftReads(db);
  const { load, view } = reads;
  const { closeShift } = createShiftClose(Object.assign({}, deps, { reads }));

  async function listCounters(input: { attractionId?: string } = {}): Promise<CounterView[]> {
    const rows = await db.counter.findMany({
      where: { isActive: true, ...(input.attractionId ? { attractionId: input.attractionId } : {}) },
      orderBy: [{ attractionId: "asc" }, { name: "asc" }],
    });
    return rows.map(counterView);
  }

  async function createCounter(input: { attractionId: string; name: string; location?: string }): Promise<CounterView> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 64)
      throw new KioskError("BAD_REQUEST", "A counter name has 1 to 64 characters");
    const attraction = await db.attraction.findUnique({ where: { id: input.attractionId }, select: { id: true } });
    if (!attraction) throw new KioskError("NOT_FOUND", `Attraction ${input.attractionId} not found`);
    const clash = await db.counter.findFirst({
      where: { attractionId: input.attractionId, name },
      select: { id: true },
    });
    if (clash)
      throw new KioskError("CONFLICT", `Attraction ${input.attractionId} already has a counter named "${name}"`);
    const row = await db.counter.create({
      data: {
        id: newId("ctr"),
        attractionId: input.attractionId,
        name,
        location: input.location?.trim() ?? "",
        createdAt: clock.now(),
      },
    });
    return counterView(row);
  }

  async function openShift(input: { counterId: string; actor: StaffActor }): Promise<ShiftView> {
    const counter = await db.counter.findUnique({
      where: { id: input.counterId },
      include: { attraction: { select: { currency: true } } },
    });
    if (!counter || !counter.isActive) throw new KioskError("NOT_FOUND", `Counter ${input.counterId} not found`);
    const existing = await db.shift.findUnique({
      where: { openFor: input.actor.id },
      include: { counter: { select: { name: true } } },
    });
    if (existing)
      throw new KioskError(
        "CONFLICT",
        `You already have shift ${existing.id} open at ${existing.counter.name}; close it first`,
        { details: { shiftId: existing.id } },
      );
    const id = newId("shf");
    try {
      await db.shift.create({
        data: {
          id,
          counterId: counter.id,
          staffUserId: input.actor.id,
          state: "open",
          openFor: input.actor.id,
          currency: counter.attraction.currency,
          openedAt: clock.now(),
        },
      });
    } catch (error) {
      // Two opens at once: the unique openFor lets one win.
      if ((error as { code?: unknown }).code === "P2002")
        throw new KioskError("CONFLICT", "You already have a shift open; close it first");
      throw error;
    }
    log.info("shift opened", { shiftId: id, counterId: counter.id, staffId: input.actor.id });
    return view(await load(id));
  }

  async function currentShift(actor: StaffActor): Promise<ShiftView | null> {
    const s = await db.shift.findUnique({ where: { openFor: actor.id }, include: shiftInclude });
    return s ? view(s) : null;
  }

  async function getShift(shiftId: string, actor: StaffActor): Promise<ShiftView> {
    const s = await load(shiftId);
    assertShiftAccess(s, actor);
    return view(s);
  }

  /** Newest first; a cashier sees their own shifts, a supervisor everyone's (or one person's). */
  async function listShifts(input: { actor: StaffActor; staffUserId?: string; limit?: number }): Promise<ShiftView[]> {
    const staffUserId = hasRoleAtLeast(input.actor.role, "supervisor") ? input.staffUserId : input.actor.id;
    const rows = await db.shift.findMany({
      where: staffUserId ? { staffUserId } : {},
      orderBy: { openedAt: "desc" },
      take: input.limit ?? 20,
      include: shiftInclude,
    });
    return Promise.all(rows.map(view));
  }

  async function requireOpenShift(actor: StaffActor) {
    const s = await db.shift.findUnique({ where: { openFor: actor.id }, include: { counter: true } });
    if (!s || s.state !== "open")
      throw new KioskError("PRECONDITION_FAILED", "Open a shift at a counter before selling", {
        details: { reason: "no_open_shift" },
      });
    return s;
  }

  /** The counter's order: the kiosk's order service, for the shift's attraction, recorded against the shift and the cashier. */
  async function createOrder(input: {
    actor: StaffActor;
    lines: OrderLineInput[];
    locale?: string;
  }): Promise<OrderView> {
    const shift = await requireOpenShift(input.actor);
    return orders.create({
      actor: input.actor,
      attractionId: shift.counter.attractionId,
      shiftId: shift.id,
      lines: input.lines,
      ...(input.locale ? { locale: input.locale } : {}),
    });
  }

  /** A cashier takes payments only for orders of their own open shift (a closed till takes nothing more). */
  async function assertPayable(orderId: string, actor: StaffActor): Promise<void> {
    await assertOwnOpenShift({ orderId }, actor, "paid");
  }

  /**
   * Staff at a counter cancel only orders and payments of their own open shift: never a kiosk
   * visitor's payment in flight, nor another cashier's (supervisors use the console's audited
   * "cancel now" for those).
   */
  async function assertCancellable(ref: { orderId: string } | { paymentId: string }, actor: StaffActor): Promise<void> {
    if ("orderId" in ref) return assertOwnOpenShift(ref, actor, "cancelled");
    const payment = await db.payment.findUnique({ where: { id: ref.paymentId }, select: { orderId: true } });
    if (!payment) throw new KioskError("NOT_FOUND", `Payment ${ref.paymentId} not found`);
    await assertOwnOpenShift({ orderId: payment.orderId }, actor, "cancelled");
  }

  async function assertOwnOpenShift(
    ref: { orderId: string },
    actor: StaffActor,
    verb: "paid" | "cancelled",
  ): Promise<void> {
    const { orderId } = ref;
    const order = await db.order.findUnique({
      where: { id: orderId },
      select: { id: true, shiftId: true, shift: { select: { state: true, staffUserId: true } } },
    });
    if (!order) throw new KioskError("NOT_FOUND", `Order ${orderId} not found`);
    if (!order.shift || order.shift.staffUserId !== actor.id)
      throw new KioskError("FORBIDDEN", `Order ${orderId} was not sold in your shift`);
    if (order.shift.state !== "open")
      throw new KioskError("CONFLICT", `Shift ${order.shiftId} is closed; order ${orderId} can no longer be ${verb}`);
  }

  return {
    listCounters,
    createCounter,
    openShift,
    currentShift,
    getShift,
    listShifts,
    createOrder,
    assertPayable,
    assertCancellable,
    closeShift,
  };
}

export type CounterService = ReturnType<typeof createCounterService>;
