import { describe, expect, it } from "vitest";
import {
  INITIAL_STATE,
  isIdleWatched,
  isTransactionInFlight,
  kioskReducer,
  progressStep,
  type KioskEvent,
  type KioskState,
  type Screen,
} from "./kiosk-machine.ts";
import { classifyFailureReason, paymentOutcome } from "./payment-outcome.ts";

const run = (events: KioskEvent[], from: KioskState = INITIAL_STATE) => events.reduce(kioskReducer, from);
const at = (screen: Screen, extra: Partial<KioskState> = {}): KioskState => ({
  ...INITIAL_STATE,
  service: { status: "ok" },
  screen,
  ...extra,
});
const cart = [{ ticketTypeId: "tt_adult", slotId: "slot_1", quantity: 2 }];
const paying: Screen = {
  name: "paying",
  orderId: "ord_1",
  paymentId: "pay_1",
  phase: "waiting_pin",
  isCancelledByVisitor: false,
};

describe("happy path", () => {
  it("walks attract → language → tickets → summary → scan → paying → success → done → attract", () => {
    let s = run([
      { type: "service_changed", service: { status: "ok" } },
      { type: "booted", resume: null },
    ]);
    expect(s.screen.name).toBe("attract");
    s = run([{ type: "touched_attract" }, { type: "locale_chosen", locale: "ja" }], s);
    expect(s.screen).toEqual({ name: "tickets", notice: null });
    expect(s.locale).toBe("ja");
    s = run([{ type: "tickets_confirmed" }], s);
    expect(s.screen.name).toBe("tickets");
    s = run([{ type: "cart_changed", cart }, { type: "tickets_confirmed" }], s);
    expect(s.screen).toEqual({ name: "summary", orderId: null });
    s = run([{ type: "order_created", orderId: "ord_1" }, { type: "pay_pressed" }], s);
    expect(s.screen).toEqual({ name: "scan", orderId: "ord_1" });
    s = run([{ type: "payment_started", paymentId: "pay_1", payment: { state: "SENDING", failureReason: null } }], s);
    expect(s.screen).toMatchObject({ name: "paying", phase: "sending" });
    s = run([{ type: "payment_updated", paymentId: "pay_1", payment: { state: "POLLING", failureReason: null } }], s);
    expect(s.screen).toMatchObject({ name: "paying", phase: "waiting_pin" });
    s = run([{ type: "payment_updated", paymentId: "pay_1", payment: { state: "PAID", failureReason: null } }], s);
    expect(s.screen).toMatchObject({ name: "success", isPrintingDone: false });
    s = run([{ type: "printing_finished", hasFailures: false }], s);
    expect(s.screen).toEqual({ name: "done", orderId: "ord_1" });
    s = run([{ type: "finish" }], s);
    expect(s.screen.name).toBe("attract");
    expect(s.cart).toEqual([]);
    expect(s.locale).toBe("en");
  });

  it("drops empty cart lines", () => {
    const s = run(
      [{ type: "cart_changed", cart: [...cart, { ticketTypeId: "tt_child", slotId: "slot_1", quantity: 0 }] }],
      at({ name: "tickets", notice: null }),
    );
    expect(s.cart).toEqual(cart);
  });

  it("ignores updates of another payment", () => {
    const s = run(
      [{ type: "payment_updated", paymentId: "pay_other", payment: { state: "PAID", failureReason: null } }],
      at(paying),
    );
    expect(s.screen).toEqual(paying);
  });
});

describe("failures", () => {
  const scan = at({ name: "scan", orderId: "ord_1" }, { cart });
  const failWith = (state: string, failureReason: string | null) =>
    run([{ type: "payment_started", paymentId: "pay_1", payment: { state, failureReason } }], scan).screen;

  it.each([
    ["FAILED", "BUYER_BALANCE_NOT_ENOUGH", "insufficient_balance"],
    ["FAILED", "ACQ.BUYER_BALANCE_NOT_ENOUGH", "insufficient_balance"],
    ["FAILED", "SOUNDWAVE_PARSER_FAIL", "code_expired"],
    ["FAILED", "ACQ.PAYMENT_AUTH_CODE_INVALID", "code_expired"],
    ["FAILED", "trade closed", "declined"],
    ["FAILED", "SOMETHING_ELSE", "error"],
    ["CANCELLED", null, "timed_out"],
    ["NEEDS_ATTENTION", null, "needs_attention"],
  ])("%s (%s) shows the %s failure", (state, reason, expected) => {
    expect(failWith(state, reason)).toMatchObject({ name: "failure", reason: expected });
  });

  it("a visitor's cancel ends as cancelled, a deadline as timed out", () => {
    let s = run([{ type: "cancel_payment_pressed" }], at(paying));
    expect(s.screen).toMatchObject({ name: "paying", phase: "cancelling", isCancelledByVisitor: true });
    s = run([{ type: "payment_updated", paymentId: "pay_1", payment: { state: "POLLING", failureReason: null } }], s);
    expect(s.screen).toMatchObject({ phase: "cancelling" });
    s = run([{ type: "payment_updated", paymentId: "pay_1", payment: { state: "CANCELLED", failureReason: null } }], s);
    expect(s.screen).toMatchObject({ name: "failure", reason: "cancelled" });
    const timedOut = run(
      [{ type: "payment_updated", paymentId: "pay_1", payment: { state: "CANCELLED", failureReason: null } }],
      at(paying),
    );
    expect(timedOut.screen).toMatchObject({ name: "failure", reason: "timed_out" });
  });

  it("try again keeps the cart and makes a new order; start over clears it", () => {
    const failed = at({ name: "failure", orderId: "ord_1", paymentId: "pay_1", reason: "code_expired" }, { cart });
    expect(run([{ type: "retry" }], failed).screen).toEqual({ name: "summary", orderId: null });
    expect(run([{ type: "retry" }], failed).cart).toEqual(cart);
    const over = run([{ type: "start_over" }], failed);
    expect(over.screen.name).toBe("attract");
    expect(over.cart).toEqual([]);
  });

  it("a capacity refusal returns to the tickets with a notice", () => {
    const s = run([{ type: "order_failed", reason: "not_enough" }], at({ name: "summary", orderId: null }, { cart }));
    expect(s.screen).toEqual({ name: "tickets", notice: "not_enough" });
  });

  it("an expired hold returns to the tickets", () => {
    expect(run([{ type: "hold_expired" }], at({ name: "scan", orderId: "ord_1" })).screen).toEqual({
      name: "tickets",
      notice: "hold_expired",
    });
  });
});

describe("idle", () => {
  it("warns and resets on browsing screens", () => {
    let s = run([{ type: "idle_warning" }], at({ name: "tickets", notice: null }, { cart, locale: "ko" }));
    expect(s.isIdlePrompt).toBe(true);
    s = run([{ type: "idle_timeout" }], s);
    expect(s.screen.name).toBe("attract");
    expect(s.isIdlePrompt).toBe(false);
    expect(s.cart).toEqual([]);
  });

  it("never interrupts a payment in flight or printing", () => {
    for (const screen of [
      paying,
      { name: "success", orderId: "o", paymentId: "p", isPrintingDone: false, hasPrintFailures: false } as Screen,
    ]) {
      const s = run([{ type: "idle_warning" }, { type: "idle_timeout" }, { type: "start_over" }], at(screen));
      expect(s.screen).toEqual(screen);
      expect(s.isIdlePrompt).toBe(false);
      expect(isTransactionInFlight(screen)).toBe(true);
      expect(isIdleWatched(screen)).toBe(false);
    }
  });

  it("dismissing keeps the visitor where they were", () => {
    const s = run([{ type: "idle_warning" }, { type: "idle_dismissed" }], at({ name: "summary", orderId: "ord_1" }));
    expect(s).toEqual(at({ name: "summary", orderId: "ord_1" }));
  });
});

describe("out of service", () => {
  const out = { type: "service_changed", service: { status: "out", reason: "paper_out" } } as const;
  const ok = { type: "service_changed", service: { status: "ok" } } as const;

  it("replaces every selling screen and recovers to attract by itself", () => {
    for (const screen of [
      { name: "attract" },
      { name: "tickets", notice: null },
      { name: "summary", orderId: "o" },
      { name: "scan", orderId: "o" },
    ] as Screen[]) {
      const s = run([out], at(screen, { cart, locale: "zh-Hant" }));
      expect(s.screen.name).toBe("out_of_service");
      expect(s.cart).toEqual([]);
      expect(s.locale).toBe("zh-Hant");
      expect(run([ok], s).screen.name).toBe("attract");
    }
  });

  it("lets a payment in flight finish, then shows out of service", () => {
    let s = run([out], at(paying));
    expect(s.screen).toEqual(paying);
    s = run(
      [
        { type: "payment_updated", paymentId: "pay_1", payment: { state: "PAID", failureReason: null } },
        { type: "printing_finished", hasFailures: false },
        { type: "finish" },
      ],
      s,
    );
    expect(s.screen.name).toBe("out_of_service");
  });

  it("boot goes straight to out of service when the kiosk starts broken", () => {
    const s = run([{ type: "service_changed", service: { status: "out", reason: "bridge_unreachable" } }]);
    expect(s.screen.name).toBe("out_of_service");
    expect(run([ok], s).screen.name).toBe("attract");
  });
});

describe("reload", () => {
  const boot = (state: string, isCancelledByVisitor = false) =>
    run([
      { type: "service_changed", service: { status: "ok" } },
      {
        type: "booted",
        resume: {
          locale: "zh-Hans",
          orderId: "ord_1",
          payment: { id: "pay_1", state, failureReason: null, isCancelledByVisitor },
        },
      },
    ]);

  it("resumes a payment waiting for the PIN on the paying screen in the visitor's language", () => {
    const s = boot("POLLING");
    expect(s.screen).toEqual({
      name: "paying",
      orderId: "ord_1",
      paymentId: "pay_1",
      phase: "waiting_pin",
      isCancelledByVisitor: false,
    });
    expect(s.locale).toBe("zh-Hans");
  });

  it("resumes a paid order on the printing screen", () => {
    expect(boot("PAID").screen).toMatchObject({ name: "success", orderId: "ord_1", isPrintingDone: false });
  });

  it("keeps a visitor's cancel across the reload", () => {
    expect(boot("CANCELLING", true).screen).toMatchObject({
      name: "paying",
      phase: "cancelling",
      isCancelledByVisitor: true,
    });
  });

  it("starts fresh after an old failure, but keeps a payment that needs staff", () => {
    expect(boot("FAILED").screen.name).toBe("attract");
    expect(boot("NEEDS_ATTENTION").screen).toMatchObject({ name: "failure", reason: "needs_attention" });
  });
});

describe("helpers", () => {
  it("numbers the progress steps", () => {
    expect(progressStep({ name: "tickets", notice: null })).toBe(1);
    expect(progressStep(paying)).toBe(3);
    expect(progressStep({ name: "attract" })).toBeNull();
  });

  it("classifies unknown reasons as a generic error and maps settled states", () => {
    expect(classifyFailureReason(null)).toBe("error");
    expect(paymentOutcome({ state: "REFUNDED", failureReason: null }, false)).toEqual({ kind: "paid" });
    expect(paymentOutcome({ state: "WEIRD", failureReason: null }, false)).toEqual({ kind: "failed", reason: "error" });
  });
});
