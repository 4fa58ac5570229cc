/**
 * The kiosk's screen flow as a pure reducer: (state, event) → state. No timers, no I/O;
 * hooks turn time, the bridge and the server into events, and effects react to the
 * resulting state (arm the scanner on `scan`, cancel an order that was left behind, …).
 *
 * Invariants the tests pin down:
 *  - a payment in flight (paying, or paid and printing) is never left for the attract
 *    screen by an idle timeout or by the kiosk going out of service;
 *  - out of service sells nothing: every pre-payment screen gives way to it, and it
 *    returns to the attract screen by itself when the fault clears.
 */
import { DEFAULT_LOCALE, type Locale } from "../../../lib/i18n/locales.ts";
import { paymentOutcome, type FailureReason, type PayingPhase, type PaymentSnapshot } from "./payment-outcome.ts";

export interface CartLine {
  ticketTypeId: string;
  slotId: string;
  quantity: number;
}

export type OutOfServiceReason =
  | "server_unreachable"
  | "bridge_unreachable"
  | "scanner_disconnected"
  | "printer_offline"
  | "paper_out"
  | "printer_cover_open"
  | "printer_error"
  | "taken_out_of_service"
  | "offline";

export type ServiceStatus = { status: "unknown" } | { status: "ok" } | { status: "out"; reason: OutOfServiceReason };

export type Screen =
  | { name: "boot" }
  | { name: "attract" }
  | { name: "language" }
  | { name: "tickets"; notice: "not_enough" | "hold_expired" | null }
  | { name: "summary"; orderId: string | null }
  | { name: "scan"; orderId: string }
  | { name: "paying"; orderId: string; paymentId: string; phase: PayingPhase; isCancelledByVisitor: boolean }
  | { name: "success"; orderId: string; paymentId: string; isPrintingDone: boolean; hasPrintFailures: boolean }
  | { name: "done"; orderId: string }
  | { name: "failure"; orderId: string | null; paymentId: string | null; reason: FailureReason }
  | { name: "out_of_service" };

export type ScreenName = Screen["name"];

export interface KioskState {
  screen: Screen;
  locale: Locale;
  cart: CartLine[];
  /** The visit day and entry time the cart was built for, so "Change tickets" restores them. */
  selection: { day: string | null; timedSlotId: string | null };
  service: ServiceStatus;
  /** The "still there?" prompt is showing. */
  isIdlePrompt: boolean;
}

/** What a reload finds on the server for the payment the page was following. */
export interface ResumeInfo {
  locale: Locale;
  orderId: string;
  payment: ({ id: string; isCancelledByVisitor: boolean } & PaymentSnapshot) | null;
}

export type KioskEvent =
  | { type: "booted"; resume: ResumeInfo | null }
  | { type: "touched_attract" }
  | { type: "locale_chosen"; locale: Locale }
  | { type: "locale_changed"; locale: Locale }
  | { type: "back" }
  | { type: "cart_changed"; cart: CartLine[]; day?: string | null; timedSlotId?: string | null }
  | { type: "tickets_confirmed" }
  | { type: "order_created"; orderId: string }
  | { type: "order_failed"; reason: "not_enough" | "error" }
  | { type: "pay_pressed" }
  | { type: "change_tickets" }
  | { type: "hold_expired" }
  | { type: "payment_started"; paymentId: string; payment: PaymentSnapshot }
  | { type: "payment_start_failed"; reason: FailureReason }
  | { type: "payment_updated"; paymentId: string; payment: PaymentSnapshot }
  | { type: "cancel_payment_pressed" }
  | { type: "printing_finished"; hasFailures: boolean }
  | { type: "finish" }
  | { type: "retry" }
  | { type: "start_over" }
  | { type: "idle_warning" }
  | { type: "idle_dismissed" }
  | { type: "idle_timeout" }
  | { type: "service_changed"; service: ServiceStatus };

export const INITIAL_STATE: KioskState = {
  screen: { name: "boot" },
  locale: DEFAULT_LOCALE,
  cart: [],
  selection: { day: null, timedSlotId: null },
  service: { status: "unknown" },
  isIdlePrompt: false,
};

/** Screens with money moving or tickets coming out: nothing may interrupt them. */
export function isTransactionInFlight(screen: Screen): boolean {
  return screen.name === "paying" || (screen.name === "success" && !screen.isPrintingDone);
}

/** Screens where an idle visitor is asked "still there?" and then reset. */
export function isIdleWatched(screen: Screen): boolean {
  switch (screen.name) {
    case "language":
    case "tickets":
    case "summary":
    case "scan":
    case "failure":
      return true;
    case "success":
      return screen.isPrintingDone && screen.hasPrintFailures;
    default:
      return false;
  }
}

/** Screens that sell; out of service replaces them. */
function isSellingScreen(screen: Screen): boolean {
  return ["boot", "attract", "language", "tickets", "summary", "scan", "failure"].includes(screen.name);
}

/** The order a screen holds (for effects that cancel an abandoned order). */
export function heldOrderId(screen: Screen): string | null {
  return screen.name === "summary" || screen.name === "scan" ? screen.orderId : null;
}

export function cartCount(cart: readonly CartLine[]): number {
  return cart.reduce((n, l) => n + l.quantity, 0);
}

function home(state: KioskState): KioskState {
  const screen: Screen = state.service.status === "out" ? { name: "out_of_service" } : { name: "attract" };
  return {
    ...state,
    screen,
    cart: [],
    selection: { day: null, timedSlotId: null },
    locale: state.service.status === "out" ? state.locale : DEFAULT_LOCALE,
    isIdlePrompt: false,
  };
}

function afterPayment(
  state: KioskState,
  orderId: string,
  paymentId: string,
  payment: PaymentSnapshot,
  isCancelledByVisitor: boolean,
): KioskState {
  const outcome = paymentOutcome(payment, isCancelledByVisitor);
  switch (outcome.kind) {
    case "active":
      return {
        ...state,
        isIdlePrompt: false,
        screen: { name: "paying", orderId, paymentId, phase: outcome.phase, isCancelledByVisitor },
      };
    case "paid":
      return {
        ...state,
        isIdlePrompt: false,
        screen: { name: "success", orderId, paymentId, isPrintingDone: false, hasPrintFailures: false },
      };
    case "failed":
      return { ...state, screen: { name: "failure", orderId, paymentId, reason: outcome.reason } };
  }
}

export function kioskReducer(state: KioskState, event: KioskEvent): KioskState {
  const s = state.screen;
  switch (event.type) {
    case "booted": {
      if (s.name !== "boot") return state;
      const r = event.resume;
      if (r?.payment) {
        const resumed = afterPayment(
          { ...state, locale: r.locale },
          r.orderId,
          r.payment.id,
          r.payment,
          r.payment.isCancelledByVisitor,
        );
        // A settled failure from before the reload is old news: start fresh.
        if (resumed.screen.name === "failure" && resumed.screen.reason !== "needs_attention") return home(state);
        return resumed;
      }
      return home(state);
    }
    case "service_changed": {
      const next = { ...state, service: event.service };
      if (event.service.status === "out") {
        if (isSellingScreen(s))
          return {
            ...next,
            screen: { name: "out_of_service" },
            cart: [],
            selection: { day: null, timedSlotId: null },
            isIdlePrompt: false,
          };
        return next;
      }
      if (event.service.status === "ok" && s.name === "out_of_service") return home(next);
      return next;
    }
    case "touched_attract":
      return s.name === "attract" ? { ...state, screen: { name: "language" } } : state;
    case "locale_chosen":
      return s.name === "language"
        ? { ...state, locale: event.locale, screen: { name: "tickets", notice: null } }
        : state;
    case "locale_changed":
      return { ...state, locale: event.locale };
    case "back":
      if (s.name === "language") return home(state);
      if (s.name === "tickets") return { ...state, screen: { name: "language" } };
      if (s.name === "scan") return { ...state, screen: { name: "summary", orderId: s.orderId } };
      return state;
    case "cart_changed":
      if (s.name !== "tickets") return state;
      return {
        ...state,
        cart: event.cart.filter((l) => l.quantity > 0),
        selection: {
          day: event.day === undefined ? state.selection.day : event.day,
          timedSlotId: event.timedSlotId === undefined ? state.selection.timedSlotId : event.timedSlotId,
        },
      };
    case "tickets_confirmed":
      return s.name === "tickets" && cartCount(state.cart) > 0
        ? { ...state, screen: { name: "summary", orderId: null } }
        : state;
    case "order_created":
      return s.name === "summary" && s.orderId === null
        ? { ...state, screen: { name: "summary", orderId: event.orderId } }
        : state;
    case "order_failed":
      return s.name === "summary"
        ? { ...state, screen: { name: "tickets", notice: event.reason === "not_enough" ? "not_enough" : null } }
        : state;
    case "change_tickets":
      return s.name === "summary" ? { ...state, screen: { name: "tickets", notice: null } } : state;
    case "hold_expired":
      return s.name === "summary" || s.name === "scan"
        ? { ...state, screen: { name: "tickets", notice: "hold_expired" } }
        : state;
    case "pay_pressed":
      return s.name === "summary" && s.orderId !== null
        ? { ...state, screen: { name: "scan", orderId: s.orderId } }
        : state;
    case "payment_started":
      return s.name === "scan" ? afterPayment(state, s.orderId, event.paymentId, event.payment, false) : state;
    case "payment_start_failed":
      return s.name === "scan"
        ? { ...state, screen: { name: "failure", orderId: s.orderId, paymentId: null, reason: event.reason } }
        : state;
    case "payment_updated":
      if (s.name !== "paying" || s.paymentId !== event.paymentId) return state;
      return afterPayment(state, s.orderId, s.paymentId, event.payment, s.isCancelledByVisitor);
    case "cancel_payment_pressed":
      if (s.name === "paying" && s.phase !== "cancelling")
        return { ...state, screen: { ...s, phase: "cancelling", isCancelledByVisitor: true } };
      if (s.name === "scan") return { ...state, screen: { name: "summary", orderId: s.orderId } };
      return state;
    case "printing_finished":
      if (s.name !== "success") return state;
      if (!event.hasFailures) return { ...state, screen: { name: "done", orderId: s.orderId } };
      return { ...state, screen: { ...s, isPrintingDone: true, hasPrintFailures: true } };
    case "finish":
      if (s.name === "success" && s.isPrintingDone) return { ...state, screen: { name: "done", orderId: s.orderId } };
      if (s.name === "done") return home(state);
      return state;
    case "retry":
      if (s.name !== "failure") return state;
      if (s.reason === "hold_expired") return { ...state, screen: { name: "tickets", notice: "hold_expired" } };
      if (s.reason === "needs_attention" || cartCount(state.cart) === 0) return home(state);
      return { ...state, screen: { name: "summary", orderId: null } };
    case "start_over":
      return isTransactionInFlight(s) ? state : home(state);
    case "idle_warning":
      return isIdleWatched(s) ? { ...state, isIdlePrompt: true } : state;
    case "idle_dismissed":
      return { ...state, isIdlePrompt: false };
    case "idle_timeout":
      if (!isIdleWatched(s)) return { ...state, isIdlePrompt: false };
      if (s.name === "success") return { ...state, isIdlePrompt: false, screen: { name: "done", orderId: s.orderId } };
      return home(state);
  }
}

/** The machine's step number for the progress indicator (tickets 1, review 2, pay 3, print 4). */
export function progressStep(screen: Screen): 1 | 2 | 3 | 4 | null {
  switch (screen.name) {
    case "tickets":
      return 1;
    case "summary":
      return 2;
    case "scan":
    case "paying":
      return 3;
    case "success":
    case "done":
      return 4;
    default:
      return null;
  }
}
