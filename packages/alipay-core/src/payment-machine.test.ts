import { describe, expect, it } from "vitest";
import { PAYMENT_STATE_NAMES, transition, type NotificationFact, type PaymentEvent } from "./payment-machine.ts";
import { sendingRows } from "./__tests__/sending-rows.ts";
import { settlingRows } from "./__tests__/settling-rows.ts";
import type { Row } from "./__tests__/machine-fixtures.ts";
import { P, T0, trade, ev, reach, summarise } from "./__tests__/machine-fixtures.ts";

const rows: Row[] = [...sendingRows, ...settlingRows];

describe("payment machine transitions", () => {
  it.each(
    rows.map(
      (r) =>
        [
          `${r.from} + ${r.event.type}${"result" in r.event ? `(${r.event.result.status})` : "fact" in r.event ? `(${r.event.fact.status})` : ""} @+${r.dt}ms → ${r.to} [${r.commands.join(", ")}]`,
          r,
        ] as const,
    ),
  )("%s", (_name, row) => {
    const from = reach(row.from);
    const t = transition(from, row.event, P, T0 + row.dt);
    expect(t.state.state).toBe(row.to);
    expect(summarise(t)).toEqual(row.commands);
    expect(t.ignored !== undefined).toBe(row.ignored ?? false);
    if (row.ignored) expect(t.state).toBe(from);
    expect(JSON.parse(JSON.stringify(t.state))).toEqual(t.state);
    row.check?.(t);
  });

  it("covers every state name as a source", () => {
    const sources = new Set(rows.map((r) => reach(r.from).state));
    expect([...sources].sort()).toEqual([...PAYMENT_STATE_NAMES].sort());
  });
});

describe("notifications prove what they settle", () => {
  const paid = (fact: Partial<NotificationFact>): PaymentEvent => ({
    type: "notification",
    fact: { ...ev.nPaid.fact, ...fact },
  });
  it.each([
    [
      "without a currency",
      paid({ amountMinor: 1, currency: undefined }),
      /^notification_unproven: .*without a currency/,
    ],
    ["without an amount", paid({ amountMinor: undefined }), /^notification_unproven: .*no amount/],
    ["for another amount", paid({ amountMinor: 1 }), /^notification_unproven: .*1 SGD, expected 1500 SGD/],
    ["in another currency", paid({ currency: "USD" }), /expected 1500 SGD/],
    [
      "naming another merchant",
      paid({ foreignIdentity: "partner 2088999999999999 is not ours" }),
      /^notification_unproven: partner 2088999999999999/,
    ],
  ])("a paid notification %s goes to NEEDS_ATTENTION with the reason, never ticketed", (_n, event, reason) => {
    for (const from of ["SENDING", "POLLING", "POLLING_PAY_IN_FLIGHT", "SENDING_CANCEL", "CANCELLING"] as const) {
      const t = transition(reach(from), event, P, T0 + 5000);
      expect(t.state).toMatchObject({
        state: "NEEDS_ATTENTION",
        hasIssuedTickets: false,
      });
      expect(t.state.state === "NEEDS_ATTENTION" && t.state.attentionReason).toMatch(reason);
      expect(t.commands.map((c) => c.type)).toEqual(["escalate"]);
    }
  });

  it("a closed notification naming another merchant does not close ours", () => {
    const t = transition(
      reach("POLLING"),
      {
        type: "notification",
        fact: {
          status: "closed",
          foreignIdentity: "app_id 2021999999999999 is not ours",
        },
      },
      P,
      T0 + 5000,
    );
    expect(t.state).toMatchObject({
      state: "NEEDS_ATTENTION",
      attentionReason: "notification_unproven: app_id 2021999999999999 is not ours",
    });
    expect(t.commands.map((c) => c.type)).toEqual(["escalate"]);
  });

  it("a foreign trade id is not written into our payment", () => {
    const t = transition(
      reach("SENDING"),
      paid({
        alipayTransId: "THEIRS",
        foreignIdentity: "seller_id 2088999999999999 is not ours",
      }),
      P,
      T0 + 5000,
    );
    expect(t.state.alipayTransId).toBeUndefined();
  });

  it("a paid notification after FAILED or a no-trade cancel says why it is unproven", () => {
    const t = transition(reach("CANCELLED_NOT_FOUND"), paid({ currency: undefined }), P, T0 + 60_000);
    expect(t.state).toMatchObject({ state: "NEEDS_ATTENTION" });
    expect(t.state.state === "NEEDS_ATTENTION" && t.state.attentionReason).toMatch(
      /^paid_after_cancelled; notification_unproven/,
    );
  });

  it("the honest notification still settles", () => {
    expect(transition(reach("POLLING"), ev.nPaid, P, T0 + 5000)).toMatchObject({
      state: { state: "PAID", hasIssuedTickets: true },
      commands: [{ type: "issue_tickets" }],
    });
  });
});

describe("a cancel that found no trade is not forgotten", () => {
  it("a paid fact during CANCELLING is remembered: a later 'no trade' answer retries the cancel instead of closing", () => {
    let s = reach("CANCELLING"); // pay sent at T0, cancel pressed at +2 s
    s = transition(s, ev.nPaid, P, T0 + 50_000).state;
    expect(s.state).toBe("CANCELLING");
    const t = transition(s, ev.cNotFound, P, T0 + 51_000); // outside the in-flight window
    expect(t.state.state).toBe("CANCELLING");
    expect(summarise(t)).toEqual([expect.stringMatching(/^cancel@/)]);
  });

  it("when the retries are spent after such a paid fact, a person looks", () => {
    let s = reach("CANCELLING");
    s = transition(s, ev.qPaid, P, T0 + 50_000).state;
    let t = transition(s, ev.cNotFound, P, T0 + 51_000);
    for (let i = 0; i < P.maxCancelAttempts && t.state.state === "CANCELLING"; i++)
      t = transition(t.state, ev.cNotFound, P, T0 + 60_000 + i * 60_000);
    expect(t.state).toMatchObject({ state: "NEEDS_ATTENTION" });
    expect(t.state.state === "NEEDS_ATTENTION" && t.state.attentionReason).toMatch(
      /^cancel_retries_exhausted: not_found after a paid fact/,
    );
  });

  it("a late paid query answer after a no-trade cancel escalates", () => {
    const t = transition(reach("CANCELLED_NOT_FOUND"), ev.qPaid, P, T0 + 90_000);
    expect(t.state).toMatchObject({
      state: "NEEDS_ATTENTION",
      attentionReason: "paid_after_cancelled",
    });
  });
});
